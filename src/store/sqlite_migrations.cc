#include "store/sqlite_migrations.h"

namespace perfledger::store {
namespace {

// Times are Unix nanoseconds (INTEGER); samples are blobs in the format of sample_codec.h.
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

-- The canonical JSON of an environment (core::WriteEnvironment), fingerprint included.
CREATE TABLE environments (
  id INTEGER PRIMARY KEY,
  fingerprint TEXT NOT NULL,
  description TEXT NOT NULL UNIQUE
);
CREATE INDEX environments_by_fingerprint ON environments(fingerprint);

CREATE TABLE runs (
  id INTEGER PRIMARY KEY,
  run_id TEXT NOT NULL UNIQUE,
  content_hash TEXT NOT NULL,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  platform TEXT NOT NULL,
  commit_sha TEXT NOT NULL,
  commit_branch TEXT,
  commit_time INTEGER,
  commit_subject TEXT,
  range_from TEXT,
  range_count INTEGER NOT NULL,
  reason TEXT NOT NULL,
  reason_detail TEXT,
  suite_name TEXT,
  suite_revision INTEGER,
  environment_id INTEGER NOT NULL REFERENCES environments(id),
  started_at INTEGER NOT NULL,
  finished_at INTEGER NOT NULL,
  benchmark_count INTEGER NOT NULL,
  sample_count INTEGER NOT NULL,
  partial INTEGER NOT NULL,
  ingested_at INTEGER NOT NULL
);
CREATE INDEX runs_by_order ON runs(COALESCE(commit_time, started_at), run_id);
CREATE INDEX runs_by_platform ON runs(platform, commit_time);
CREATE INDEX runs_by_commit ON runs(commit_sha);

CREATE TABLE benchmarks (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  name TEXT NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE metrics (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE
);

-- One row per run x benchmark x metric. Raw samples in `samples`; harnesses that report only
-- aggregates fill the summary columns instead (n and mean at least).
CREATE TABLE measurements (
  run INTEGER NOT NULL REFERENCES runs(id),
  benchmark INTEGER NOT NULL REFERENCES benchmarks(id),
  metric INTEGER NOT NULL REFERENCES metrics(id),
  unit TEXT NOT NULL,
  higher_is_better INTEGER NOT NULL,
  samples BLOB,
  n INTEGER,
  mean REAL,
  stddev REAL,
  median REAL,
  min REAL,
  max REAL,
  lower REAL,
  upper REAL,
  PRIMARY KEY (run, benchmark, metric)
) WITHOUT ROWID;
CREATE INDEX measurements_by_series ON measurements(benchmark, metric);

-- Benchmarks that failed in a run: stored, never a data point.
CREATE TABLE failures (
  run INTEGER NOT NULL REFERENCES runs(id),
  benchmark INTEGER NOT NULL REFERENCES benchmarks(id),
  error TEXT NOT NULL,
  PRIMARY KEY (run, benchmark)
) WITHOUT ROWID;
)sql";

// The scheduler's records: branch commits seen by plans, plans, queued jobs and skips.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE commits (
  sha TEXT PRIMARY KEY,
  first_parent TEXT,
  parent_count INTEGER NOT NULL,
  commit_time INTEGER NOT NULL,
  subject TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE plans (
  id INTEGER PRIMARY KEY,
  planned_at INTEGER NOT NULL,
  recorded_at INTEGER NOT NULL,
  branch TEXT NOT NULL,
  head_sha TEXT NOT NULL,
  queue_depth INTEGER NOT NULL,
  degradation TEXT NOT NULL,
  window_nanos INTEGER NOT NULL
);

CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  plan_id INTEGER NOT NULL REFERENCES plans(id),
  sha TEXT NOT NULL,
  platform TEXT NOT NULL,
  reason TEXT NOT NULL,
  reason_detail TEXT NOT NULL,
  range_from TEXT,
  range_count INTEGER NOT NULL,
  priority INTEGER NOT NULL,
  state TEXT NOT NULL
);
CREATE INDEX jobs_by_commit ON jobs(sha, platform);

-- One row per commit and platform: the latest reason it was left out.
CREATE TABLE skips (
  sha TEXT NOT NULL,
  platform TEXT NOT NULL,
  plan_id INTEGER NOT NULL REFERENCES plans(id),
  reason TEXT NOT NULL,
  queue_depth INTEGER NOT NULL,
  superseded_by TEXT,
  PRIMARY KEY (sha, platform)
) WITHOUT ROWID;
)sql";

// Suite revisions and epochs (DESIGN.md "Vocabulary"): each run keeps its whole suite object,
// and the first run to declare a suite revision's benchmark definitions or a platform's epoch
// settings fixes them; later runs are checked against them at ingest. Runs stored before this
// migration keep only their suite name and revision (suite_json and epoch stay NULL).
constexpr std::string_view kMigration3 = R"sql(
-- The run's suite object as core::WriteSuite prints it: name, revision, definitions, epoch.
ALTER TABLE runs ADD COLUMN suite_json TEXT;
-- The run's epoch number, when its suite has one.
ALTER TABLE runs ADD COLUMN epoch INTEGER;
CREATE INDEX runs_by_epoch ON runs(project_id, platform, suite_name, epoch);

-- definitions: a JSON object, benchmark entry name -> definition hash.
CREATE TABLE suite_revisions (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  suite_name TEXT NOT NULL,
  revision INTEGER NOT NULL,
  definitions TEXT NOT NULL,
  first_run_id TEXT NOT NULL,
  PRIMARY KEY (project_id, suite_name, revision)
) WITHOUT ROWID;

-- settings: a JSON object, setting key -> value.
CREATE TABLE epochs (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  platform TEXT NOT NULL,
  suite_name TEXT NOT NULL,
  number INTEGER NOT NULL,
  revision INTEGER NOT NULL,
  settings TEXT NOT NULL,
  first_run_id TEXT NOT NULL,
  PRIMARY KEY (project_id, platform, suite_name, number)
) WITHOUT ROWID;
)sql";

// Alerts (DESIGN.md "alert"): changes `perfledger detect --record` kept, one step in one
// series (platform x benchmark x metric within one epoch) between two measured commits, with
// the status a person gave it. Times are Unix nanoseconds, like every other time here.
constexpr std::string_view kMigration4 = R"sql(
CREATE TABLE alerts (
  id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  platform TEXT NOT NULL,
  benchmark TEXT NOT NULL,
  metric TEXT NOT NULL,
  unit TEXT NOT NULL,
  -- The series' suite epoch number; NULL for runs without a suite epoch.
  epoch INTEGER,
  -- The commit range the change lies in: (range_from, range_to].
  range_from TEXT NOT NULL,
  range_to TEXT NOT NULL,
  range_count INTEGER NOT NULL,
  before_median REAL NOT NULL,
  after_median REAL NOT NULL,
  change REAL NOT NULL,
  confidence REAL NOT NULL,
  noise REAL NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('regression', 'improvement', 'environment')),
  status TEXT NOT NULL
    CHECK (status IN ('open', 'acknowledged', 'resolved', 'false-positive')),
  note TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX alerts_by_status ON alerts(status);
CREATE INDEX alerts_by_series ON alerts(platform, benchmark, metric);
)sql";

// API tokens (store.h TokenRecord): the server authenticates uploads with them. Only the
// token's SHA-256 (hex) is kept, and its first 8 characters to tell tokens apart in lists.
// Rows are never deleted: a revoked token keeps its row with revoked_at set.
constexpr std::string_view kMigration5 = R"sql(
CREATE TABLE tokens (
  id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  -- NULL for an unnamed token.
  name TEXT,
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER
);
-- Names are unique per project among tokens not revoked (NULL names never collide).
CREATE UNIQUE INDEX tokens_by_name ON tokens(project, name) WHERE revoked_at IS NULL;
)sql";

// Token scopes: what a token grants in its project. Tokens made before could upload, so they
// keep write.
constexpr std::string_view kMigration6 = R"sql(
ALTER TABLE tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'write'
  CHECK (scope IN ('read', 'write'));
)sql";

// The series layer (DESIGN.md "Series layer and scale"; store/series_ingest.cc): one row per
// series (project x benchmark x metric x platform x epoch x environment class) and one per
// series and commit, written at ingest in the same transaction as the runs. A point sits at
// its first run (store order: `t` is COALESCE(commit_time, started_at) of that run, `run` its
// row); `pooled` lists every run's run_id, comma-separated in store order, when several runs of
// the commit are pooled into it. `last_run` is the newest run (row id) that wrote a point of
// the series: what changed since a mark (Store::ChangeMark) is read from it. `marks` keeps
// where an incremental reader (detect --record) stopped. The migration
// builds both tables from the stored runs (SqliteStore::BuildSeries) in the same transaction.
constexpr std::string_view kMigration7 = R"sql(
CREATE TABLE series (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  benchmark_id INTEGER NOT NULL REFERENCES benchmarks(id),
  metric_id INTEGER NOT NULL REFERENCES metrics(id),
  platform TEXT NOT NULL,
  -- The suite epoch number; NULL for runs without one.
  epoch INTEGER,
  ci INTEGER NOT NULL,
  unit TEXT NOT NULL,
  higher_is_better INTEGER NOT NULL,
  last_run INTEGER NOT NULL
);
CREATE UNIQUE INDEX series_by_key
  ON series(project_id, benchmark_id, metric_id, platform, ifnull(epoch, -1), ci);

-- Derived rows, written only with their run: no foreign keys (two lookups per point at ingest).
CREATE TABLE points (
  series INTEGER NOT NULL,
  t INTEGER NOT NULL,
  run INTEGER NOT NULL,
  median REAL NOT NULL,
  spread REAL NOT NULL,
  min REAL NOT NULL,
  max REAL NOT NULL,
  n INTEGER NOT NULL,
  runs INTEGER NOT NULL,
  pooled TEXT,
  PRIMARY KEY (series, t, run)
) WITHOUT ROWID;

-- Marks a reader keeps between passes (Store::ReadMark): "detect" is the change mark the last
-- recorded detection covered.
CREATE TABLE marks (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// A run's benchmark sets (store.h BenchmarkSetsOf): the benchmarks it measured and those that
// failed, each a JSON array of names, sorted, kept once per distinct set, so gaps read one row
// per run and a few sets instead of every measurement. The migration fills them from the
// stored measurements and failures.
constexpr std::string_view kMigration8 = R"sql(
CREATE TABLE benchmark_sets (
  id INTEGER PRIMARY KEY,
  names TEXT NOT NULL UNIQUE
);
-- benchmark_sets(id); NULL: no benchmark of the kind.
ALTER TABLE runs ADD COLUMN ok_set INTEGER;
ALTER TABLE runs ADD COLUMN failed_set INTEGER;

CREATE TEMP TABLE run_sets AS
SELECT r.id AS run,
  (SELECT json_group_array(name) FROM (
     SELECT DISTINCT b.name AS name FROM measurements m JOIN benchmarks b ON b.id = m.benchmark
     WHERE m.run = r.id ORDER BY b.name)) AS ok,
  (SELECT json_group_array(name) FROM (
     SELECT DISTINCT b.name AS name FROM failures f JOIN benchmarks b ON b.id = f.benchmark
     WHERE f.run = r.id ORDER BY b.name)) AS failed
FROM runs r;
INSERT OR IGNORE INTO benchmark_sets(names)
  SELECT ok FROM run_sets WHERE ok != '[]' UNION SELECT failed FROM run_sets WHERE failed != '[]';
UPDATE runs SET
  ok_set = (SELECT s.id FROM run_sets x JOIN benchmark_sets s ON s.names = x.ok
            WHERE x.run = runs.id),
  failed_set = (SELECT s.id FROM run_sets x JOIN benchmark_sets s ON s.names = x.failed
                WHERE x.run = runs.id);
DROP TABLE run_sets;
)sql";

// Checkpoints (Store::ReadCheckpoint): a document a reader derived from the store at a change
// mark and keeps in it, so a restart continues from there instead of reading every series
// again (the server's index). The store never reads one; a reader that cannot use one
// (another format) computes afresh and writes it again.
constexpr std::string_view kMigration9 = R"sql(
CREATE TABLE checkpoints (
  name TEXT PRIMARY KEY,
  mark INTEGER NOT NULL,
  data BLOB NOT NULL
);
)sql";

// No index over every measurement by benchmark: the series reads it served before the series
// layer read points now, and the runs of one benchmark (RunFilter::benchmark) are found by
// their benchmark sets (migration 8). Each run inserted into it at as many places as it
// measured benchmarks, so an upload of a few runs rewrote a page of it per benchmark.
constexpr std::string_view kMigration10 = R"sql(
DROP INDEX IF EXISTS measurements_by_series;
)sql";

// Median blocks: each series' points packed by the thousand (run and median only, the point
// order kept), so an aggregate over every series (the headline index) reads a few blobs per
// series instead of stepping through every point row: on a year's store (21 million points)
// stepping the rows alone took longer than the index may take cold. A block holds exactly the
// series' points with first_t <= t <= last_t when it was written and is deleted when a point
// in that range changes (a run at an old commit); readers read the points rows between and
// after blocks. `sealed_t` is the newest block's last_t, `unsealed` how many points were
// written since the series was last sealed (an upper bound: sealing counts again). The
// migration fills the counts; SqliteStore::SealAllSeries writes the blocks.
constexpr std::string_view kMigration11 = R"sql(
CREATE TABLE median_blocks (
  series INTEGER NOT NULL,
  first_t INTEGER NOT NULL,
  last_t INTEGER NOT NULL,
  points BLOB NOT NULL
);
CREATE UNIQUE INDEX median_blocks_by_series ON median_blocks(series, last_t);
ALTER TABLE series ADD COLUMN sealed_t INTEGER;
ALTER TABLE series ADD COLUMN unsealed INTEGER NOT NULL DEFAULT 0;
UPDATE series SET unsealed = (SELECT count(*) FROM points p WHERE p.series = series.id);
)sql";

// Staged points (sqlite_series_staged.cc): the new points of a small ingest transaction (an
// upload's group) packed into one row, appended, instead of written into the points tree at
// one place per series; moved into `points` together once a few hundred runs' worth gathered.
// Readers merge them with the points rows. An upload group of 16 runs wrote about 470 pages of
// the points tree (each series' last leaf and the siblings SQLite rebalanced it with), which
// a single transaction of every run writes about once.
constexpr std::string_view kMigration12 = R"sql(
CREATE TABLE points_staged (
  id INTEGER PRIMARY KEY,
  points BLOB NOT NULL
);
)sql";

// Job hand-out (DESIGN.md "serve"; sqlite_jobs.cc): agents claim queued jobs under a lease
// they renew, then finish them with the run they stored or a failed attempt's log. A job's
// state is also 'running', 'done' (finished by an agent with `run_id`) or 'failed' (its last
// attempt failed or its lease expired); `agent` is the agent holding it, or the last one to.
// `agents` keeps each agent as last seen, with the job it last claimed or renewed (listed
// while it still holds it). Claims read the queued jobs of one platform.
constexpr std::string_view kMigration13 = R"sql(
ALTER TABLE jobs ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN agent TEXT;
ALTER TABLE jobs ADD COLUMN claimed_at INTEGER;
ALTER TABLE jobs ADD COLUMN lease_expires_at INTEGER;
ALTER TABLE jobs ADD COLUMN finished_at INTEGER;
ALTER TABLE jobs ADD COLUMN run_id TEXT;
ALTER TABLE jobs ADD COLUMN log_tail TEXT;
CREATE INDEX jobs_by_platform_state ON jobs(platform, state);
-- Every claim first expires the running jobs whose lease ran out.
CREATE INDEX jobs_by_lease ON jobs(lease_expires_at) WHERE state = 'running';
CREATE TABLE agents (
  name TEXT PRIMARY KEY,
  platform TEXT NOT NULL,
  last_seen INTEGER NOT NULL,
  job INTEGER
) WITHOUT ROWID;
)sql";

// Alert kinds `drift` (a gradual change over a stretch of commits, reported once) and `noise`
// (the spread of a series changed, not its level): SQLite cannot change a CHECK constraint, so
// the table is rebuilt with its rows, ids and indexes. A drift keeps its first measured commit
// (the one after range_from) and its relative change per measured commit (`rate`: not
// derivable from range_count, which counts commits, measured or not); a noise change its
// spread after / before (NULL for the other kinds and the rows kept before). `direction`: the
// series' (lower or higher is better), which says whether a drift worsens it; NULL for the
// rows kept before.
constexpr std::string_view kMigration14 = R"sql(
CREATE TABLE alerts_v14 (
  id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  platform TEXT NOT NULL,
  benchmark TEXT NOT NULL,
  metric TEXT NOT NULL,
  unit TEXT NOT NULL,
  epoch INTEGER,
  range_from TEXT NOT NULL,
  range_to TEXT NOT NULL,
  range_count INTEGER NOT NULL,
  before_median REAL NOT NULL,
  after_median REAL NOT NULL,
  change REAL NOT NULL,
  confidence REAL NOT NULL,
  noise REAL NOT NULL,
  kind TEXT NOT NULL
    CHECK (kind IN ('regression', 'improvement', 'environment', 'drift', 'noise')),
  status TEXT NOT NULL
    CHECK (status IN ('open', 'acknowledged', 'resolved', 'false-positive')),
  note TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  first_commit TEXT,
  rate REAL,
  spread_ratio REAL,
  direction TEXT CHECK (direction IN ('lower', 'higher'))
);
INSERT INTO alerts_v14 (id, project, platform, benchmark, metric, unit, epoch, range_from,
  range_to, range_count, before_median, after_median, change, confidence, noise, kind, status,
  note, created_at, updated_at)
SELECT id, project, platform, benchmark, metric, unit, epoch, range_from, range_to, range_count,
  before_median, after_median, change, confidence, noise, kind, status, note, created_at,
  updated_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_v14 RENAME TO alerts;
CREATE INDEX alerts_by_status ON alerts(status);
CREATE INDEX alerts_by_series ON alerts(platform, benchmark, metric);
)sql";

constexpr Migration kMigrations[] = {
    {1, kMigration1},   {2, kMigration2},   {3, kMigration3},   {4, kMigration4},
    {5, kMigration5},   {6, kMigration6},   {7, kMigration7},   {8, kMigration8},
    {9, kMigration9},   {10, kMigration10}, {11, kMigration11}, {12, kMigration12},
    {13, kMigration13}, {14, kMigration14},
};

}  // namespace

std::span<const Migration> SqliteMigrations() { return kMigrations; }

}  // namespace perfledger::store
