// Store: where runs live. One interface, several back ends (SQLite now, PostgreSQL later);
// nothing here assumes SQL. Only the store layer speaks to a database.
//
// Guarantees every back end keeps (the shared test suite store_test.cc checks them):
// - Ingest writes a whole batch in one transaction or nothing of it.
// - Runs are immutable: a run_id stored again with the same content is a no-op counted as
//   already present; with different content the batch fails with kConflict.
// - Several processes may ingest into one store at once; each waits (bounded) for the others.
// A Store object is used from one thread at a time; open one per thread or process.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "core/run.h"
#include "core/series.h"
#include "core/triage.h"

namespace perfledger::store {

struct RunFilter {
  std::optional<std::string> platform;
  std::optional<std::string> project;
  // Only runs that measured (or failed) this benchmark; ForEachRun gives each run with this
  // benchmark alone, so a series of one benchmark is read without loading whole runs.
  std::optional<std::string> benchmark;
  // Only the run of this run_id (ListRuns, ForEachRun and ListRunPoints; Store::ReadRun).
  std::optional<std::string> run_id;
};

// Which series to read (DESIGN.md "Series layer and scale"). Every field narrows; none reads
// every series.
struct SeriesQuery {
  std::optional<std::string> project, platform;
  std::optional<std::string> benchmark;       // exact name
  std::optional<std::string> benchmark_glob;  // shell glob (fnmatch) over benchmark names
  std::vector<std::string> metrics;           // empty: every metric
  // Only series that received a point from a run stored after this change mark (ChangeMark).
  std::optional<int64_t> changed_after;
  // False: the series' keys, units and directions only, without reading a point.
  bool with_points = true;
  // Only each series' newest points, this many (a window for incremental work).
  std::optional<int64_t> last_points;
  // Points with their median, spread, sample count and run (sha, range, time, fingerprint...)
  // only: min, max and runs are 0 and pooled_run_ids empty. What change detection reads.
  bool medians_only = false;
};

using core::PointMedian;
using core::PointRun;

// One benchmark x metric as stored, with the platforms that measured it (sorted).
struct BenchmarkInfo {
  std::string project, benchmark, metric, unit;
  core::Direction direction = core::Direction::kLower;
  std::vector<std::string> platforms;
};

// One line of `perfledger runs`.
struct RunSummary {
  std::string run_id;
  std::string project;
  std::string sha;
  std::string platform;
  core::Reason reason = core::Reason::kPush;
  std::optional<base::Timestamp> commit_time;
  base::Timestamp started_at;
  int64_t benchmark_count = 0;
  int64_t sample_count = 0;
  bool partial = false;
};

// A set of benchmark names, sorted and unique. Runs of one suite mostly measure the same set,
// so a store keeps each distinct set once and readers share it.
using BenchmarkNames = std::shared_ptr<const std::vector<std::string>>;

// The benchmarks a run measured (with at least one metric) and those that failed, each as its
// names sorted and joined with '\n' ("" for none): the rule by which every back end keeps a
// run's benchmark sets at ingest (RunPoint::ok_benchmarks, failed_benchmarks).
struct RunBenchmarkSets {
  std::string ok, failed;
};
RunBenchmarkSets BenchmarkSetsOf(const core::Run& run);
// The names of a joined set.
BenchmarkNames SplitBenchmarkSet(std::string_view joined);

// What ingest derives from a run alone, whatever the store holds: worked out before the write
// transaction, on the caller's thread (PrepareBatch), so that a group commit's leader, which
// writes for every uploader in turn, only writes. Per metric in the run's order (each
// benchmark's metrics, benchmark after benchmark).
struct RunEncoding {
  std::string content_hash;               // core::ContentHash
  std::vector<std::string> sample_blobs;  // sample_codec.h; "" for a metric without samples
  std::vector<std::optional<core::PointSummary>> points;  // the metric's point alone; none
                                                          // when it gives none
};
RunEncoding EncodeRun(const core::Run& run);

// A run as coverage and gap analysis need it: where it sits and what it measured.
struct RunPoint {
  std::string run_id, project, sha, platform;
  std::optional<std::string> range_from;  // the commit range (range_from, sha]
  int64_t range_count = 1;
  std::optional<base::Timestamp> commit_time;
  base::Timestamp started_at;
  std::optional<core::SuiteRef> suite;
  // With ListRunPoints' `with_benchmarks`, never null; runs with the same set share it.
  BenchmarkNames ok_benchmarks;  // benchmarks with a data point
  BenchmarkNames failed_benchmarks;
};

// The scheduler's records (DESIGN.md "Scheduling policy"): the branch commits a plan saw,
// the jobs it queued and the commits it left out, so the next plan and the coverage report
// see them.
struct CommitRecord {
  std::string sha;
  std::optional<std::string> first_parent;
  int parent_count = 0;
  base::Timestamp time;  // committer time
  std::string subject;
  bool operator==(const CommitRecord&) const = default;
};

struct JobRecord {
  int64_t plan_id = 0;  // filled when read back
  std::string sha, platform;
  std::string reason;  // core::Reason name
  std::string reason_detail;
  std::optional<std::string> range_from;
  int64_t range_count = 1;
  int priority = 1;
  // Queued until a later plan supersedes it (queue reset, or a re-plan of the same commit) or
  // an agent claims it (running; then done or failed: JobHandout). Whether a job without an
  // agent has run (done) is read from the runs.
  core::JobState state = core::JobState::kQueued;
  base::Timestamp planned_at;  // filled when read back: the plan's `now`
  bool operator==(const JobRecord&) const = default;
};

// A job as agents see it (DESIGN.md "serve": the server hands out jobs to agents): its row,
// and what hand-out did with it. Superseded jobs are never handed out.
struct JobHandout {
  int64_t id = 0;  // the job's row: what agents name it by
  int64_t plan_id = 0;
  std::string sha, platform, reason, reason_detail;
  std::optional<std::string> range_from;
  int64_t range_count = 1;
  int priority = 1;
  core::JobState state = core::JobState::kQueued;  // queued, running, done or failed
  int attempt = 0;                                 // claims so far
  std::optional<std::string> agent;                // holding it, or the last to hold it
  std::optional<base::Timestamp> claimed_at, lease_expires_at, finished_at;
  std::optional<std::string> run_id;    // done by an agent: the run it stored
  std::optional<std::string> log_tail;  // the last failed attempt's log
  base::Timestamp planned_at;
  bool operator==(const JobHandout&) const = default;
};

// An agent as the store last saw it (a claim or a heartbeat).
struct AgentRecord {
  std::string name, platform;
  base::Timestamp last_seen;
  std::optional<int64_t> job;  // the job it holds, if any
  bool operator==(const AgentRecord&) const = default;
};

// ClaimJob's request: who asks, for which platform, when, and the rule's figures.
struct ClaimRequest {
  std::string platform, agent;
  base::Timestamp now;
  int64_t lease_nanos = 0;  // how long the claim holds without a heartbeat
  int max_attempts = 3;     // an expired lease on the last attempt fails the job
};

// RenewJobLease's and FinishJob's refusal (kConflict) when `agent` does not hold job `id`: the
// job is in `state` (a stored state's name), last held by `holder`. The same for every back end.
base::Status JobNotHeld(int64_t id, std::string_view agent, std::string_view state,
                        const std::optional<std::string>& holder);

struct SkipRecord {
  int64_t plan_id = 0;  // filled when read back
  std::string sha, platform;
  std::string reason;  // window, not-merge, untagged, queue-reset
  int queue_depth = 0;
  std::optional<std::string> superseded_by;
  base::Timestamp planned_at;  // filled when read back
  bool operator==(const SkipRecord&) const = default;
};

struct PlanRecord {
  base::Timestamp now;
  std::string branch;
  std::string head;  // the branch head the plan saw
  int queue_depth = 0;
  std::string degradation;  // none, widened, reset
  int64_t window_nanos = 0;
  std::vector<CommitRecord> commits;  // oldest first; at least those the plan looked at
  std::vector<JobRecord> jobs;
  std::vector<SkipRecord> skips;
  // The newest plan the planner read (ScheduleState::plan_id), when it read the schedule:
  // RecordPlan then refuses the plan (kConflict, StaleSchedule) if another plan was recorded
  // since, so two planners deciding at once never both queue the same commit and platform;
  // the refused one plans again from what the other recorded. Job hand-out does not make a
  // plan stale (a running job counts as queued for the planner).
  std::optional<int64_t> after_plan;
};

// Whether `status` is RecordPlan's refusal of a plan made from a schedule another plan changed.
bool IsStaleSchedule(const base::Status& status);
// That refusal.
base::Status StaleSchedule(int64_t planned_from, int64_t now_at);

struct ScheduleState {
  std::vector<JobRecord> jobs;    // every recorded job, oldest plan first
  std::vector<SkipRecord> skips;  // one per (sha, platform): the latest
  // The newest recorded plan, if any.
  std::optional<std::string> branch, head;
  std::optional<base::Timestamp> last_plan;
  int64_t plan_id = 0;  // the newest recorded plan's; 0 before the first
};

// One epoch of one platform (DESIGN.md "epoch"), as the first run to declare it fixed it,
// with where it starts: its first run and its first complete run (not partial, and measured
// every benchmark its suite revision defines; the headline index starts there). "First" is
// the ListRuns order: commit time (start time where unknown), then run_id.
struct EpochInfo {
  std::string project, platform, suite;
  int64_t number = 0, revision = 0;
  std::map<std::string, std::string> settings;  // key -> minified JSON value
  int64_t run_count = 0;
  std::string first_run_id, first_sha;
  std::optional<base::Timestamp> first_commit_time;
  std::optional<std::string> first_complete_run_id, first_complete_sha;
  std::optional<base::Timestamp> first_complete_commit_time;
};

// A change `perfledger detect --record` kept (DESIGN.md "alert"): a step in one series
// (platform x benchmark x metric within one epoch) between two measured commits.
struct AlertRecord {
  int64_t id = 0;  // assigned by RecordAlerts
  std::string project, platform, benchmark, metric, unit;
  std::optional<int64_t> epoch;  // the series' epoch number; null for runs without a suite
  // The commit range the change lies in: after `range_from` (the last measured commit before
  // it), up to and including `range_to` (the first measured commit after it).
  std::string range_from, range_to;
  int64_t range_count = 0;  // commits in (range_from, range_to]; 0 when unknown
  double before_median = 0, after_median = 0, change = 0, confidence = 0, noise = 0;
  core::AlertKind kind = core::AlertKind::kRegression;
  // A drift (kDrift): the first measured commit of its stretch (the one after range_from; the
  // drift is complete at range_to) and its relative change per measured commit. None for
  // other kinds (and for drifts recorded without them).
  std::optional<std::string> first;
  std::optional<double> rate;
  // A noise change (kNoise): the spread after / the spread before. None for other kinds.
  std::optional<double> spread_ratio;
  // The series' direction (lower or higher is better), so a drift's change says whether it
  // worsens the series. Every alert recorded since drifts were; none for those kept before.
  std::optional<core::Direction> direction;
  core::AlertStatus status = core::AlertStatus::kOpen;
  std::optional<std::string> note;
  base::Timestamp created_at, updated_at;
  bool operator==(const AlertRecord&) const = default;
};

struct AlertFilter {
  std::optional<int64_t> id;  // just this alert
  std::optional<core::AlertStatus> status;
  std::optional<std::string> platform;
  std::optional<core::AlertKind> kind;
};

// An API token (DESIGN.md "serve"; core/token.h): uploads for `project` carry it as a bearer
// token. The store never sees the token itself, only its hash and its first characters.
struct TokenRecord {
  int64_t id = 0;  // assigned by CreateToken
  std::string project;
  // Unique per project among tokens not revoked; none for an unnamed token.
  std::optional<std::string> name;
  std::string hash;    // core::ApiTokenHash of the token: 64 lower-case hex digits
  std::string prefix;  // core::ApiTokenDisplayPrefix of the token, for lists
  // What it grants in its project: "write" (uploads and triage, and reads) or "read" (reads of
  // a --private server only).
  std::string scope = "write";
  base::Timestamp created_at;
  std::optional<base::Timestamp> last_used_at;
  std::optional<base::Timestamp> revoked_at;  // set once by RevokeToken
  bool operator==(const TokenRecord&) const = default;
};

// A recorded plan's own row: RecordPlan's PlanRecord without what it lists, with its id and
// when the store recorded it.
struct PlanRow {
  int64_t id = 0;
  base::Timestamp planned_at;   // the plan's `now`
  base::Timestamp recorded_at;  // the store clock's time when it was recorded
  std::string branch, head;
  int queue_depth = 0;
  std::string degradation;
  int64_t window_nanos = 0;
  bool operator==(const PlanRow&) const = default;
};

// Everything a store keeps besides its runs and what it derives from them (series, points,
// checkpoints): the records `perfledger migrate-store` copies as they are, ids, states and
// times included (Store::ReadRecords, Store::WriteRecords).
struct StoreRecords {
  std::vector<PlanRow> plans;            // by id
  std::vector<JobHandout> jobs;          // by id, superseded ones included
  std::vector<AgentRecord> agents;       // by name
  std::vector<SkipRecord> skips;         // by plan_id, sha, platform, with planned_at
  std::vector<CommitRecord> commits;     // by sha
  std::vector<AlertRecord> alerts;       // by id
  std::vector<TokenRecord> tokens;       // by id
  std::map<std::string, int64_t> marks;  // Store::ReadMark's; "alerts" (AlertsMark) and such
  bool operator==(const StoreRecords&) const = default;
};

// Where a run sits in store order (ListRuns' order: commit time, the start time where unknown,
// then run_id).
struct RunOrder {
  int64_t order_nanos = 0;
  std::string run_id;
  auto operator<=>(const RunOrder&) const = default;
};

// A series as its first point created it: its row and its unit (a point of another unit is
// another quantity and is left out of it).
struct SeriesSlot {
  int64_t id = 0;
  std::string unit;
};

struct IngestStats {
  int64_t ingested = 0;         // runs newly written
  int64_t already_present = 0;  // runs stored before with identical content
  int64_t samples = 0;          // raw samples newly written
};

// A suite revision's definitions or a platform's epoch as the first run to declare it
// stored it (DESIGN.md "epoch"), with that run's id.
struct Declaration {
  core::SuiteRef suite;
  std::string first_run_id;
};

// What a back end does inside the one write transaction of Store::Ingest: primitives only.
// The rules (duplicates, conflicts, the first declaration fixes a revision and an epoch) are
// Store::Ingest's, the same for every back end (store/ingest.cc).
class IngestTransaction {
 public:
  virtual ~IngestTransaction() = default;
  // The content hash (core::ContentHash) a stored run was written with; none when `run_id`
  // is not stored.
  virtual base::Result<std::optional<std::string>> StoredContentHash(const std::string& run_id) = 0;
  // Writes a new run whole (creating its project, benchmarks, metrics and environment as
  // needed) with its encoding (content hash, sample blobs) and the store clock's time as its
  // ingestion time.
  virtual base::Status InsertRun(const core::Run& run, const RunEncoding& encoding) = 0;
  // The definitions of revision `revision` of `suite` in `project` as first declared
  // (Declaration::suite has the name, revision and definitions), or none.
  virtual base::Result<std::optional<Declaration>> DeclaredRevision(const std::string& project,
                                                                    const std::string& suite,
                                                                    int64_t revision) = 0;
  // Keeps `run`'s suite revision and its definitions as the declared ones.
  virtual base::Status DeclareRevision(const core::Run& run) = 0;
  // Epoch `number` of `suite` on `platform` in `project` as first declared (Declaration::suite
  // has the name, the revision and the epoch with its settings), or none.
  virtual base::Result<std::optional<Declaration>> DeclaredEpoch(const std::string& project,
                                                                 const std::string& platform,
                                                                 const std::string& suite,
                                                                 int64_t number) = 0;
  // Keeps `run`'s epoch (number, settings, the suite revision) as its platform's declared one.
  virtual base::Status DeclareEpoch(const core::Run& run) = 0;

  // The series layer (store/series_ingest.cc says what goes in).
  // The series of `key`, created with `unit` and `direction` when it does not exist.
  virtual base::Result<SeriesSlot> SeriesFor(const core::SeriesKey& key, const std::string& unit,
                                             core::Direction direction) = 0;
  // Every stored run of commit `sha` on `platform` in `project` (the one being written too), in
  // store order.
  virtual base::Result<std::vector<RunOrder>> RunsOfCommit(const std::string& project,
                                                           const std::string& platform,
                                                           const std::string& sha) = 0;
  // A stored run's metric `metric` of benchmark `benchmark`, or none.
  virtual base::Result<std::optional<core::Metric>> StoredMetric(const std::string& run_id,
                                                                 const std::string& benchmark,
                                                                 const std::string& metric) = 0;
  // The runs (store order) of the point of series `series` whose first run is `first`, or
  // none when there is no such point.
  virtual base::Result<std::optional<std::vector<std::string>>> PointRuns(
      int64_t series, const RunOrder& first) = 0;
  // Writes the point of `runs` (store order: the first is the point's run) to `series`,
  // replacing the point whose first run was `replaces`, if any.
  virtual base::Status WritePoint(int64_t series, const std::optional<RunOrder>& replaces,
                                  std::span<const RunOrder> runs,
                                  const core::PointSummary& point) = 0;
};

// Adds `run`'s points to its series (store/series_ingest.cc): the rule of the series layer,
// for Store::Ingest and for a back end's migration that builds the layer from stored runs (in
// store order). `encoding`, when given, is EncodeRun(run): its points are used as they are.
base::Status AddToSeries(IngestTransaction& tx, const core::Run& run,
                         const RunEncoding* encoding = nullptr);

// The public methods that carry a rule (Ingest, RecordAlerts, RecordAlertsAtomically,
// CreateToken) are not virtual: they check and decide here, the same for
// every back end (store/ingest.cc, store/store.cc), and call the back end's primitives (the
// protected virtuals below). Everything else is a back end's to answer.
class Store {
 public:
  virtual ~Store() = default;

  // Writes all `runs` in one transaction, or none of them (see the guarantees above). A
  // conflict's message names the run_id, and its index goes to `*conflicting` when given.
  // `*written`, when given, is resized to runs.size() and tells per run whether this call
  // wrote it (true) or found it already stored (false); it is meaningful only on success.
  // Each new run with a suite is checked before it is kept (core/epoch.h): its environment
  // class against its epoch's, its benchmark definitions against those the first run of its
  // suite revision declared, and its revision and epoch settings against those the first run
  // of its epoch on the platform declared; runs earlier in the batch count. The first run to
  // declare a revision's definitions or a platform's epoch fixes them. A mismatch is
  // kConflict naming what differs.
  base::Result<IngestStats> Ingest(std::span<const core::Run> runs, size_t* conflicting = nullptr,
                                   std::vector<bool>* written = nullptr);
  // Ingest with each run's encoding (EncodeRun) already made, parallel to `runs`: a server
  // encodes each upload on its own thread, outside the shared transaction.
  base::Result<IngestStats> IngestEncoded(std::span<const core::Run> runs,
                                          std::span<const RunEncoding> encodings,
                                          size_t* conflicting = nullptr,
                                          std::vector<bool>* written = nullptr);

  // Runs matching `filter`, ordered by commit time (the start time where the commit time is
  // unknown), then run_id.
  virtual base::Result<std::vector<RunSummary>> ListRuns(const RunFilter& filter) = 0;

  // Calls `fn` with every matching run in full, in ListRuns order. Stops at fn's first error.
  virtual base::Status ForEachRun(const RunFilter& filter,
                                  const std::function<base::Status(const core::Run&)>& fn) = 0;
  // The run of `run_id` in full; none when no such run is stored.
  base::Result<std::optional<core::Run>> ReadRun(const std::string& run_id);

  // The epochs declared by stored runs, ordered by platform, suite, number (then project).
  virtual base::Result<std::vector<EpochInfo>> ListEpochs(const RunFilter& filter) = 0;

  // Every benchmark x metric of the matching runs (filter.benchmark is ignored), sorted by
  // project, benchmark, metric; the unit and direction as the newest run stored them. With
  // `runs_after` = n, only what the runs stored after the first n contributed (RunCount
  // before), so a caller can keep a catalog current without reading every run again.
  virtual base::Result<std::vector<BenchmarkInfo>> ListBenchmarks(const RunFilter& filter,
                                                                  int64_t runs_after = 0) = 0;

  // Calls `fn` with every series `query` selects, whole (every point), sorted by key, from one
  // snapshot. Stops at fn's first error.
  virtual base::Status ForEachSeries(const SeriesQuery& query,
                                     const std::function<base::Status(core::Series&&)>& fn) = 0;
  // The same, collected.
  base::Result<std::vector<core::Series>> ReadSeries(const SeriesQuery& query);
  // The same series, each as its key, unit and direction (no points in `head`) and its points'
  // runs and medians only, in store order: what an aggregate over every series reads, without
  // a point's other fields. `runs` grows during the call (a run is read once, however many
  // series it measured) and stays valid until fn returns. This default builds on
  // ForEachSeries; a back end may read less.
  virtual base::Status ForEachSeriesMedians(
      const SeriesQuery& query,
      const std::function<base::Status(const core::Series& head, std::span<const PointMedian>,
                                       const std::vector<PointRun>& runs)>& fn);

  // The points at every commit that received a run after change mark `after`, in every series
  // `query` selects on that run's platform (not only the series the run measured: a commit's
  // other runs may have measured more), as ForEachSeriesMedians gives them; series without
  // such a point are skipped. What an aggregate over commits (the index) reads to bring
  // itself up to date. Returns the change mark of the snapshot read, or nullopt when the back
  // end cannot tell what changed (the default): the caller then reads every series again.
  virtual base::Result<std::optional<int64_t>> ForEachMedianAtChangedCommits(
      const SeriesQuery& query, int64_t after,
      const std::function<base::Status(const core::Series& head, std::span<const PointMedian>,
                                       const std::vector<PointRun>& runs)>& fn);

  // A mark that moves whenever runs are stored: the series that received points since a mark
  // are those SeriesQuery::changed_after selects. Runs are never deleted, so what was derived
  // from the store at one mark is current while the mark stays the same.
  virtual base::Result<int64_t> ChangeMark() = 0;

  // A named mark a reader keeps between passes (detect --record: the change mark its last pass
  // covered); none before the first WriteMark. WriteMark never moves a mark back, so two
  // passes racing leave the later one.
  virtual base::Result<std::optional<int64_t>> ReadMark(const std::string& name) = 0;
  virtual base::Status WriteMark(const std::string& name, int64_t value) = 0;
  // Moves mark `name` from `expected` (nullopt: no such mark yet) to `value` in one write
  // transaction and says whether it did: false, changing nothing, when the mark holds
  // something else. Of several processes claiming the same step of a mark, one succeeds (the
  // webhooks' marks, service/notify.h: what was posted). Unlike WriteMark it may move back.
  virtual base::Result<bool> ClaimMark(const std::string& name, std::optional<int64_t> expected,
                                       int64_t value) = 0;

  // A document a reader derived from the store at change mark `mark` and keeps in it, so that
  // a restart continues from there (the server's index, service::IndexCache). Opaque to the
  // store; the last one written under a name wins. None before the first write.
  struct Checkpoint {
    int64_t mark = 0;
    std::string data;
  };
  virtual base::Result<std::optional<Checkpoint>> ReadCheckpoint(const std::string& name) = 0;
  virtual base::Status WriteCheckpoint(const std::string& name, int64_t mark,
                                       std::string_view data) = 0;

  // How many runs the store holds. Runs are never deleted, so a cache of anything derived from
  // runs is current while this stays the same.
  virtual base::Result<int64_t> RunCount() = 0;
  // A mark that moves whenever a plan is recorded or a job handed out, renewed or finished:
  // with ChangeMark, what is derived from runs and the schedule is current while both stay.
  virtual base::Result<int64_t> ScheduleMark() = 0;
  // A mark that moves whenever an alert is recorded, narrowed or triaged: with ChangeMark, what
  // shows runs and alerts together (a benchmark's series) is current while both stay.
  virtual base::Result<int64_t> AlertsMark() = 0;

  // The platforms that have runs, sorted.
  virtual base::Result<std::vector<std::string>> Platforms() = 0;

  // Runs with their commit ranges and (with `with_benchmarks`) benchmark names, in ListRuns
  // order. Without them it reads no measurement: what coverage needs of a large store.
  virtual base::Result<std::vector<RunPoint>> ListRunPoints(const RunFilter& filter,
                                                            bool with_benchmarks = true) = 0;

  // Stores a plan in one transaction: its commits (known ones are kept), its jobs as queued
  // and its skips. A job or skip for a commit and platform supersedes any queued job there;
  // a job an agent holds (running) or ended (done, failed) is left as it is, so a job this plan
  // queues for the same commit and platform waits beside a running one (ClaimJob hands it out
  // only while no run of it is stored).
  // The same plan again (same now, branch, head and queue depth) is a no-op. A plan whose
  // `after_plan` is not the newest plan's id is refused (StaleSchedule), writing nothing.
  virtual base::Status RecordPlan(const PlanRecord& plan) = 0;

  // Everything RecordPlan stored, for the planner and the coverage report.
  virtual base::Result<ScheduleState> LoadSchedule() = 0;

  // The recorded first-parent history ending at `head`, oldest first; stops where the chain
  // leaves the recorded commits. Empty when `head` was never recorded.
  virtual base::Result<std::vector<CommitRecord>> RecordedHistory(const std::string& head) = 0;

  // Job hand-out (DESIGN.md "serve"). Every call moves ScheduleMark.
  // Expires every lease older than `now` (the job goes back to queued, keeping its attempt
  // count, or to failed when that was attempt max_attempts), then gives `agent` the next queued
  // job of `platform` that no stored run of its commit and platform has measured (highest
  // priority, then oldest plan, then row) as running, attempt + 1, leased until now +
  // lease_nanos; none when nothing waits. Concurrent claims never get the same job (PostgreSQL:
  // FOR UPDATE SKIP LOCKED; SQLite: one write transaction). Notes the agent as seen.
  virtual base::Result<std::optional<JobHandout>> ClaimJob(const ClaimRequest& request) = 0;
  // Extends the lease of job `id` held by `agent` to now + lease_nanos and notes the agent as
  // seen. kNotFound for an unknown id; kConflict when `agent` does not hold it (its lease
  // expired and the job was handed out again, or it finished): the agent gives the job up.
  virtual base::Result<JobHandout> RenewJobLease(int64_t id, const std::string& agent,
                                                 base::Timestamp now, int64_t lease_nanos) = 0;
  // Ends job `id` held by `agent`: with `run_id`, done (the run is stored); without, a failed
  // attempt with `log_tail`: queued again, or failed when it was attempt max_attempts. Errors
  // as RenewJobLease: a job is finished by the agent holding it only, so no job is ever done
  // twice.
  virtual base::Result<JobHandout> FinishJob(int64_t id, const std::string& agent,
                                             const std::optional<std::string>& run_id,
                                             const std::string& log_tail, base::Timestamp now,
                                             int max_attempts) = 0;
  // Jobs that are not superseded (of `platform` when given), newest plan first, then row.
  virtual base::Result<std::vector<JobHandout>> ListJobHandouts(
      const std::optional<std::string>& platform) = 0;
  // Agents seen, by name.
  virtual base::Result<std::vector<AgentRecord>> ListAgents() = 0;

  // Alerts, oldest first (by id).
  virtual base::Result<std::vector<AlertRecord>> ListAlerts(const AlertFilter& filter) = 0;

  // Stores new alerts and narrows existing ones in one transaction: every record in
  // `inserts` gets a new id (written back), every record in `narrowed` (by id) gets its range,
  // medians, change and confidence replaced (status and note are kept). An unknown id is
  // kNotFound and nothing is written.
  base::Status RecordAlerts(std::vector<AlertRecord>& inserts,
                            const std::vector<AlertRecord>& narrowed);

  // Decides on the stored alerts and records the decision in one write transaction, so that
  // what `decide` read is still what is stored when its records are written: any number of
  // concurrent callers (detect --record in parallel CI jobs) record each change once.
  // `decide` gets every stored alert (oldest first) and fills `inserts` and `narrowed` as
  // RecordAlerts takes them; the rule is the caller's, the store only makes it atomic.
  // `decide` runs while other writers wait: it must be quick and have no effects. On success
  // `*inserts` holds what was inserted, with ids.
  using AlertDecision = std::function<base::Status(const std::vector<AlertRecord>& kept,
                                                   std::vector<AlertRecord>* inserts,
                                                   std::vector<AlertRecord>* narrowed)>;
  base::Status RecordAlertsAtomically(const AlertDecision& decide,
                                      std::vector<AlertRecord>* inserts);

  // Sets an alert's status and, when given, its note; kNotFound for an unknown id.
  virtual base::Status SetAlertStatus(int64_t id, core::AlertStatus status,
                                      const std::optional<std::string>& note,
                                      base::Timestamp now) = 0;

  // Stores a new token and returns its id (tokens are never deleted, so an id is never
  // reused; `token.id`, `last_used_at` and `revoked_at` are ignored). kInvalidInput for an
  // empty project, an empty (not absent) name, a hash that is not 64 lower-case hex digits
  // or an empty prefix. kConflict naming the other token when the project already has a
  // token of this name that is not revoked, or a token with this hash is stored.
  base::Result<int64_t> CreateToken(const TokenRecord& token);

  // Tokens of `project` (every project's when none), revoked ones included, by id.
  virtual base::Result<std::vector<TokenRecord>> ListTokens(
      const std::optional<std::string>& project) = 0;

  // Revokes a token as of `now`: it no longer authenticates and its name is free again.
  // kNotFound naming the id for an unknown id. Revoking a revoked token is a no-op that
  // keeps the first revocation time, so a retried revocation does not fail.
  virtual base::Status RevokeToken(int64_t id, base::Timestamp now) = 0;

  // The token that is not revoked with this hash (core::ApiTokenHash of what a client sent),
  // or none: a revoked or unknown token is none alike, so a caller cannot forget to check.
  // The lookup compares hashes, never tokens, so its timing tells nothing useful about a
  // token; a caller may still check the returned hash with core::ConstantTimeEquals.
  virtual base::Result<std::optional<TokenRecord>> FindTokenByHash(const std::string& hash) = 0;

  // Notes that a token authenticated a request at `now` (its last_used_at); kNotFound for an
  // unknown id.
  virtual base::Status MarkTokenUsed(int64_t id, base::Timestamp now) = 0;

  // Every record the store keeps besides runs (StoreRecords), from one snapshot.
  virtual base::Result<StoreRecords> ReadRecords() = 0;
  // Writes `records` as they are (ids, states, times) in one transaction, into a store that
  // holds no plan, alert or token yet: otherwise kConflict naming what it holds, and nothing
  // is written. Plans, jobs, alerts and tokens stored later get ids after the written ones.
  // Marks never move back (WriteMark); written alerts move the alerts mark (AlertsMark), to
  // at least its value in `records.marks`.
  // kInvalidInput, writing nothing, for records no store could hold: an id that is not
  // positive or is repeated, a job or skip of a plan not among them, an alert or token that
  // RecordAlerts or CreateToken would refuse.
  base::Status WriteRecords(const StoreRecords& records);

  // "sqlite 3.40.1, schema 1, /path/to/perfledger.db": for messages and `--version`.
  virtual std::string Describe() const = 0;

 protected:
  // The back end's primitives under the rules above.
  // Runs `body` in one write transaction: committed when it returns Ok, else rolled back.
  virtual base::Status InIngestTransaction(
      const std::function<base::Status(IngestTransaction&)>& body) = 0;
  // RecordAlerts' writes (the records are checked): narrowed first (an unknown id is
  // kNotFound), then inserted with new ids (written back once committed).
  virtual base::Status WriteAlerts(std::vector<AlertRecord>& inserts,
                                   const std::vector<AlertRecord>& narrowed) = 0;
  // RecordAlertsAtomically under the write lock: reads every alert, calls `decide` (which
  // checks what it decided) and writes what it decided, in one transaction.
  virtual base::Status WriteAlertsAtomically(const AlertDecision& decide,
                                             std::vector<AlertRecord>* inserts) = 0;
  // Stores a checked token; kConflict when its name (not revoked) or hash is taken.
  virtual base::Result<int64_t> WriteToken(const TokenRecord& token) = 0;
  // WriteRecords' write (the records are checked), in one write transaction that first
  // refuses a store holding any plan, alert or token with RecordsPresent.
  virtual base::Status InsertRecords(const StoreRecords& records) = 0;
  // That refusal, the same for every back end: `where` (the store's location as messages show
  // it) and what it holds.
  static base::Status RecordsPresent(std::string_view where, int64_t plans, int64_t alerts,
                                     int64_t tokens);
};

struct OpenOptions {
  // Create the store when it does not exist; otherwise a missing store is kNotFound.
  bool create_if_missing = true;
  // How long to wait for other writers before giving up with kBusy.
  std::chrono::milliseconds busy_timeout{std::chrono::seconds(120)};
  // The clock of the times the store writes itself (when a run was ingested, a plan
  // recorded); the system's when none. Edges pass env::Env::Now, so tests can fix it.
  std::function<base::Timestamp()> clock;
  // Called while a migration rebuilds derived data from the stored data: `done` of `total`
  // items of `step` (building the series layer from runs; packing series into median
  // blocks). Edges pass a progress line on a terminal.
  std::function<void(std::string_view step, int64_t done, int64_t total)> progress;
  // After a commit leaves more than this many pages in the write-ahead log, the committing
  // connection copies them into the store (SQLite's wal_autocheckpoint); 0 keeps SQLite's
  // 1,000. A connection that writes often and in bulk (the server's uploads) checkpoints less
  // often with a larger figure, and each page rewritten by many commits is copied once.
  int checkpoint_pages = 0;
  // Points per median block of the series layer (SQLite's migration 11); 0 is 1,024. Tests
  // make blocks small to see many of them.
  int series_block_points = 0;
  // SQLite: the new points of an ingest transaction of at most 4,096 points (an upload's
  // group) are appended packed (migration 12) and moved into the points tree together once
  // this many are staged; 0 is 32,768, a negative figure writes every point into the tree at
  // once. Tests stage few to see both.
  int staged_points = 0;
};

// Opens (creating and migrating as needed) the store at `location`: a PostgreSQL database
// (postgresql://... or postgres://..., libpq's URI) or else a SQLite file path. Refuses a file
// or database that is not a perfledger store or comes from a newer perfledger.
base::Result<std::unique_ptr<Store>> OpenStore(const std::string& location,
                                               const OpenOptions& options = {});

// `location` as messages may show it: a PostgreSQL URI without its password.
std::string PrintableLocation(const std::string& location);

base::Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                                     const OpenOptions& options = {});

// Bounds what the process's open stores keep in memory, all together (SQLite's soft heap
// limit: page caches give pages back first). A server holds several connections, each caching
// up to 64 MB of pages, which on a year's store added hundreds of MB of RSS to what the OS
// already caches of the file. 0 lifts the bound.
void LimitCacheMemory(int64_t bytes);

}  // namespace perfledger::store
