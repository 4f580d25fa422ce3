// The PostgreSQL back end's schema (pg_store.h), numbered from 1 on its own: migration 1 has
// the tables of SQLite's schema 12 (sqlite_migrations.cc says what each holds) without
// SQLite's storage devices (median blocks, staged points), later ones follow SQLite's (2 is
// its 13), in PostgreSQL's types. Times are Unix nanoseconds (bigint), samples bytea in the
// format of sample_codec.h, every text COLLATE "C".
// Long texts that must be unique (an environment's description, a benchmark set's names) are
// indexed by their md5, since a b-tree entry holds at most about 2.7 kB.

#include "store/pg_store.h"

namespace perfledger::store {
namespace {

constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE projects (
  id bigserial PRIMARY KEY,
  name text COLLATE "C" NOT NULL UNIQUE
);

CREATE TABLE environments (
  id bigserial PRIMARY KEY,
  fingerprint text COLLATE "C" NOT NULL,
  description text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX environments_by_description ON environments (md5(description));
CREATE INDEX environments_by_fingerprint ON environments (fingerprint);

CREATE TABLE benchmark_sets (
  id bigserial PRIMARY KEY,
  names text COLLATE "C" NOT NULL
);
CREATE UNIQUE INDEX benchmark_sets_by_names ON benchmark_sets (md5(names));

CREATE TABLE runs (
  id bigserial PRIMARY KEY,
  run_id text COLLATE "C" NOT NULL UNIQUE,
  content_hash text COLLATE "C" NOT NULL,
  project_id bigint NOT NULL REFERENCES projects(id),
  platform text COLLATE "C" NOT NULL,
  commit_sha text COLLATE "C" NOT NULL,
  commit_branch text COLLATE "C",
  commit_time bigint,
  commit_subject text COLLATE "C",
  range_from text COLLATE "C",
  range_count bigint NOT NULL,
  reason text COLLATE "C" NOT NULL,
  reason_detail text COLLATE "C",
  suite_name text COLLATE "C",
  suite_revision bigint,
  suite_json text COLLATE "C",
  epoch bigint,
  environment_id bigint NOT NULL REFERENCES environments(id),
  started_at bigint NOT NULL,
  finished_at bigint NOT NULL,
  benchmark_count bigint NOT NULL,
  sample_count bigint NOT NULL,
  partial boolean NOT NULL,
  ingested_at bigint NOT NULL,
  ok_set bigint REFERENCES benchmark_sets(id),
  failed_set bigint REFERENCES benchmark_sets(id)
);
CREATE INDEX runs_by_order ON runs ((coalesce(commit_time, started_at)), run_id);
CREATE INDEX runs_by_platform ON runs (platform, commit_time);
CREATE INDEX runs_by_commit ON runs (commit_sha);
CREATE INDEX runs_by_epoch ON runs (project_id, platform, suite_name, epoch);

CREATE TABLE benchmarks (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id),
  name text COLLATE "C" NOT NULL,
  UNIQUE (project_id, name)
);

CREATE TABLE metrics (
  id bigserial PRIMARY KEY,
  name text COLLATE "C" NOT NULL UNIQUE
);

CREATE TABLE measurements (
  run bigint NOT NULL REFERENCES runs(id),
  benchmark bigint NOT NULL REFERENCES benchmarks(id),
  metric bigint NOT NULL REFERENCES metrics(id),
  unit text COLLATE "C" NOT NULL,
  higher_is_better boolean NOT NULL,
  samples bytea,
  n bigint,
  mean double precision,
  stddev double precision,
  median double precision,
  min double precision,
  max double precision,
  lower double precision,
  upper double precision,
  PRIMARY KEY (run, benchmark, metric)
);

CREATE TABLE failures (
  run bigint NOT NULL REFERENCES runs(id),
  benchmark bigint NOT NULL REFERENCES benchmarks(id),
  error text COLLATE "C" NOT NULL,
  PRIMARY KEY (run, benchmark)
);

CREATE TABLE commits (
  sha text COLLATE "C" PRIMARY KEY,
  first_parent text COLLATE "C",
  parent_count integer NOT NULL,
  commit_time bigint NOT NULL,
  subject text COLLATE "C" NOT NULL
);

CREATE TABLE plans (
  id bigserial PRIMARY KEY,
  planned_at bigint NOT NULL,
  recorded_at bigint NOT NULL,
  branch text COLLATE "C" NOT NULL,
  head_sha text COLLATE "C" NOT NULL,
  queue_depth integer NOT NULL,
  degradation text COLLATE "C" NOT NULL,
  window_nanos bigint NOT NULL
);

CREATE TABLE jobs (
  id bigserial PRIMARY KEY,
  plan_id bigint NOT NULL REFERENCES plans(id),
  sha text COLLATE "C" NOT NULL,
  platform text COLLATE "C" NOT NULL,
  reason text COLLATE "C" NOT NULL,
  reason_detail text COLLATE "C" NOT NULL,
  range_from text COLLATE "C",
  range_count bigint NOT NULL,
  priority integer NOT NULL,
  state text COLLATE "C" NOT NULL
);
CREATE INDEX jobs_by_commit ON jobs (sha, platform);

CREATE TABLE skips (
  sha text COLLATE "C" NOT NULL,
  platform text COLLATE "C" NOT NULL,
  plan_id bigint NOT NULL REFERENCES plans(id),
  reason text COLLATE "C" NOT NULL,
  queue_depth integer NOT NULL,
  superseded_by text COLLATE "C",
  PRIMARY KEY (sha, platform)
);

CREATE TABLE suite_revisions (
  project_id bigint NOT NULL REFERENCES projects(id),
  suite_name text COLLATE "C" NOT NULL,
  revision bigint NOT NULL,
  definitions text COLLATE "C" NOT NULL,
  first_run_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (project_id, suite_name, revision)
);

CREATE TABLE epochs (
  project_id bigint NOT NULL REFERENCES projects(id),
  platform text COLLATE "C" NOT NULL,
  suite_name text COLLATE "C" NOT NULL,
  number bigint NOT NULL,
  revision bigint NOT NULL,
  settings text COLLATE "C" NOT NULL,
  first_run_id text COLLATE "C" NOT NULL,
  PRIMARY KEY (project_id, platform, suite_name, number)
);

CREATE TABLE alerts (
  id bigserial PRIMARY KEY,
  project text COLLATE "C" NOT NULL,
  platform text COLLATE "C" NOT NULL,
  benchmark text COLLATE "C" NOT NULL,
  metric text COLLATE "C" NOT NULL,
  unit text COLLATE "C" NOT NULL,
  epoch bigint,
  range_from text COLLATE "C" NOT NULL,
  range_to text COLLATE "C" NOT NULL,
  range_count bigint NOT NULL,
  before_median double precision NOT NULL,
  after_median double precision NOT NULL,
  change double precision NOT NULL,
  confidence double precision NOT NULL,
  noise double precision NOT NULL,
  kind text COLLATE "C" NOT NULL CHECK (kind IN ('regression', 'improvement', 'environment')),
  status text COLLATE "C" NOT NULL
    CHECK (status IN ('open', 'acknowledged', 'resolved', 'false-positive')),
  note text COLLATE "C",
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL
);
CREATE INDEX alerts_by_status ON alerts (status);
CREATE INDEX alerts_by_series ON alerts (platform, benchmark, metric);

CREATE TABLE tokens (
  id bigserial PRIMARY KEY,
  project text COLLATE "C" NOT NULL,
  name text COLLATE "C",
  hash text COLLATE "C" NOT NULL UNIQUE,
  prefix text COLLATE "C" NOT NULL,
  created_at bigint NOT NULL,
  last_used_at bigint,
  revoked_at bigint,
  scope text COLLATE "C" NOT NULL DEFAULT 'write' CHECK (scope IN ('read', 'write'))
);
CREATE UNIQUE INDEX tokens_by_name ON tokens (project, name) WHERE revoked_at IS NULL;

-- The series layer: a point sits at its first run (t = coalesce(commit_time, started_at) of
-- that run, `run` its row); `pooled` lists every run's run_id, comma-separated in store
-- order, when several runs of the commit are pooled into it. `last_run`: the newest run (row)
-- that wrote a point of the series (Store::ChangeMark).
CREATE TABLE series (
  id bigserial PRIMARY KEY,
  project_id bigint NOT NULL REFERENCES projects(id),
  benchmark_id bigint NOT NULL REFERENCES benchmarks(id),
  metric_id bigint NOT NULL REFERENCES metrics(id),
  platform text COLLATE "C" NOT NULL,
  epoch bigint,
  ci boolean NOT NULL,
  unit text COLLATE "C" NOT NULL,
  higher_is_better boolean NOT NULL,
  last_run bigint NOT NULL
);
CREATE UNIQUE INDEX series_by_key
  ON series (project_id, benchmark_id, metric_id, platform, (coalesce(epoch, -1)), ci);
CREATE INDEX series_by_last_run ON series (last_run);

CREATE TABLE points (
  series bigint NOT NULL REFERENCES series(id),
  t bigint NOT NULL,
  run bigint NOT NULL REFERENCES runs(id),
  median double precision NOT NULL,
  spread double precision NOT NULL,
  min double precision NOT NULL,
  max double precision NOT NULL,
  n bigint NOT NULL,
  runs integer NOT NULL,
  pooled text COLLATE "C",
  PRIMARY KEY (series, t, run)
);

CREATE TABLE marks (
  name text COLLATE "C" PRIMARY KEY,
  value bigint NOT NULL
);

CREATE TABLE checkpoints (
  name text COLLATE "C" PRIMARY KEY,
  mark bigint NOT NULL,
  data bytea NOT NULL
);
)sql";

// Job hand-out (SQLite's migration 13 says what each column holds; pg_jobs.cc).
constexpr std::string_view kMigration2 = R"sql(
ALTER TABLE jobs ADD COLUMN attempt integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN agent text COLLATE "C";
ALTER TABLE jobs ADD COLUMN claimed_at bigint;
ALTER TABLE jobs ADD COLUMN lease_expires_at bigint;
ALTER TABLE jobs ADD COLUMN finished_at bigint;
ALTER TABLE jobs ADD COLUMN run_id text COLLATE "C";
ALTER TABLE jobs ADD COLUMN log_tail text COLLATE "C";
CREATE INDEX jobs_by_platform_state ON jobs (platform, state);
CREATE INDEX jobs_by_lease ON jobs (lease_expires_at) WHERE state = 'running';
CREATE TABLE agents (
  name text COLLATE "C" PRIMARY KEY,
  platform text COLLATE "C" NOT NULL,
  last_seen bigint NOT NULL,
  job bigint
);
)sql";

// Alert kinds `drift` (a gradual change over a stretch of commits, reported once) and `noise`
// (the spread of a series changed, not its level), with what they carry beyond a step (SQLite's
// migration 14 says what each column holds).
constexpr std::string_view kMigration3 = R"sql(
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
  CHECK (kind IN ('regression', 'improvement', 'environment', 'drift', 'noise'));
ALTER TABLE alerts ADD COLUMN first_commit text COLLATE "C";
ALTER TABLE alerts ADD COLUMN rate double precision;
ALTER TABLE alerts ADD COLUMN spread_ratio double precision;
ALTER TABLE alerts ADD COLUMN direction text COLLATE "C"
  CHECK (direction IN ('lower', 'higher'));
)sql";

constexpr PgConnection::Migration kMigrations[] = {
    {1, kMigration1},
    {2, kMigration2},
    {3, kMigration3},
};

}  // namespace

std::span<const PgConnection::Migration> PgMigrations() { return kMigrations; }

}  // namespace perfledger::store
