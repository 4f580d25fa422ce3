// The HTTP API (docs/api.md) as typed functions. Every URL is relative ("api/v1/..." from the
// page's own directory), so the dashboard works behind any host, port or path prefix.
//
// A bearer token, when one is saved in the settings box, goes with every request (a --private
// server needs it for reads too; alert triage needs it there). Errors become ApiError with the
// server's one-line message.
//
// This is the dashboard's one data-access seam: a page published with `perfledger publish`
// (index.html carries <meta name="perfledger-static">) reads the same documents from files
// under data/ instead (staticGet below; docs/publish.md), and refuses every write.
import { withQuery, type Params } from "./query";

export interface CommitRange {
  from: string | null;
  to: string;
  count: number | null;
}

export interface Project {
  name: string;
  runs: number;
  platforms: string[];
  latest_run_at: string | null;
}

// GET /api/v1/projects: the projects, and where the repository shows a commit ("{sha}" stands
// for its full sha; null when the server was given no repository URL).
export interface ProjectsResponse {
  projects: Project[];
  repository_url?: string | null;
  commit_url?: string | null;
}

// A JSON value as the server wrote it (an epoch's settings are whatever the suite declared).
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

// A run by its id, sha and commit time: where an epoch starts.
export interface RunRef {
  run_id: string;
  sha: string;
  commit_time: string | null;
}

// An epoch as `perfledger epochs --format json` prints it (`epoch` and `number`, `runs` and
// `run_count` are the same values under the names both edges used before they shared it).
export interface Epoch {
  project: string;
  platform: string;
  suite: string;
  epoch: number;
  number: number;
  revision: number;
  runs: number;
  run_count: number;
  first_sha: string;
  first_commit_time: string | null;
  first_run: RunRef;
  first_complete_run: RunRef | null;
  settings: Record<string, JsonValue>;
}

export interface Platform {
  name: string;
  runs: number;
  latest_run: RunSummary | null;
  epochs: Epoch[];
}

export interface MetricInfo {
  name: string;
  unit: string;
  direction: "lower" | "higher";
}

export interface Benchmark {
  name: string;
  project: string;
  platforms: string[];
  metrics: MetricInfo[];
}

export interface Point {
  sha: string;
  run_id: string;
  commit_time: string | null;
  subject: string | null;
  median: number;
  spread: number;
  samples: number;
  runs: number;
  commit_range: CommitRange;
  reason: string;
  fingerprint: string;
  fingerprint_changed: boolean;
  // Only when the series was asked for with max_points: what the full line holds after the
  // previous point sent up to this one (docs/api.md), so gaps can still be shaded.
  elided?: Elided;
}

export interface Elided {
  points: number;                  // points left out before this one
  max_range_count: number | null;  // the largest commit_range.count among them and this point
  unrepresented: boolean;          // one of their ranges starts at no earlier point of the line
}

export interface SeriesEntry {
  platform: string;
  epoch: number | null;
  environment: string;
  points: Point[];
  // Only with max_points: the line's points before downsampling (more than points.length when
  // it was downsampled).
  points_total?: number;
}

// How much of a series to fetch: a display resolution and a commit-time window (RFC 3339).
export interface SeriesQuery {
  maxPoints?: number;
  from?: string;
  to?: string;
}

export interface RunSummary {
  run_id: string;
  project: string;
  sha: string;
  platform: string;
  reason: string;
  benchmark_count: number;
  sample_count: number;
  status: "complete" | "partial";
  commit_time: string | null;
  started_at: string;
}

export interface Alert {
  id: number;
  project: string;
  platform: string;
  benchmark: string;
  metric: string;
  unit: string;
  epoch: number | null;
  commit_range: CommitRange;
  before_median: number;
  after_median: number;
  change: number;
  confidence: number;
  noise: number;
  kind: AlertKind;
  status: AlertStatus;
  note: string | null;
  created_at: string;
  updated_at: string;
  // A drift (a gradual change over commit_range): its first measured commit, its relative
  // change per measured commit, and whether it worsens the series (a regression) or not.
  first?: string | null;
  rate?: number | null;
  worse?: boolean;
  // A noise change (the spread changed, not the level): the spread after / before.
  spread_ratio?: number | null;
}

export type AlertKind = "regression" | "improvement" | "environment" | "drift" | "noise";

export type AlertStatus = "open" | "acknowledged" | "resolved" | "false-positive";

export interface AlertGroup {
  commit_range: CommitRange;  // the range all its alerts lie in
  subject?: string | null;  // of commit_range.to, when the store knows it
  platforms: string[];
  regressions: number;
  improvements: number;
  environment: number;
  alert_ids: number[];
  summary: string;
  // The likely culprit: the commits every alert's range holds (alerts whose ranges overlap are
  // one group); commit_range itself when they all share their ends.
  likely_range: { from: string; to: string; count: number | null };
  likely_subject: string | null;  // of likely_range.to, when the store knows it
  kinds: Record<string, number>;  // alerts per kind
}

export interface SeriesResponse {
  benchmark: string;
  metric: string;
  unit: string;
  direction: "lower" | "higher";
  series: SeriesEntry[];
  alerts: Alert[];
}

export interface CompareRow {
  benchmark: string;
  metric: string;
  unit: string;
  base_median: number;
  head_median: number;
  change: number | null;
  ci_low: number | null;
  ci_high: number | null;
  p_value: number | null;
  q_value?: number | null;
  verdict: "regression" | "improvement" | "unchanged" | "inconclusive";
  base_n?: number;
  head_n?: number;
  threshold?: number;
  noise?: number;
  noise_source?: string;
  note?: string;
}

export interface CompareSide {
  run_id: string;
  sha: string;
  platform: string;
  fingerprint: string;
  source?: string;
}

export interface CompareResponse {
  base: CompareSide;
  head: CompareSide;
  advisory: boolean;
  baseline_reason?: string;
  history?: { runs: number; series: number; description: string };
  results?: CompareRow[];
  rows?: CompareRow[]; // an earlier docs/api.md named them so
  summary?: { regressions: number; improvements: number; unchanged: number; inconclusive: number };
  not_compared?: Record<string, string[]>;
}

export type CommitStatus = "measured" | "represented" | "skipped" | "pending" | "unaccounted";

export interface CoveragePlatform {
  platform: string;
  commits: number;
  measured: number;
  represented: number;
  skipped: number;
  skipped_by_reason: Record<string, number>;
  pending: number;
  unaccounted: number;
  unaccounted_shas: string[];
  coverage_measured: number | null;
  coverage_represented: number | null;
  unknown?: number;  // commits no run's range covers, when no plan recorded the branch
}

export interface CoverageResponse {
  branch: string;
  head: string;
  history?: string;  // what the branch's history was read from ("plan", ...)
  platforms: CoveragePlatform[];
  commits: { sha: string; time: string | null; subject: string | null; status: Record<string, CommitStatus> }[];
}

export interface GapsResponse {
  branch: string;
  head: string;
  history?: string;  // what the branch's history was read from ("plan", ...)
  expected_benchmarks: number;
  stalled: boolean;
  platforms: {
    platform: string;
    last_complete: string | null;
    commits_since: number;
    age_seconds: number;
    missing_benchmarks: string[];
    stalled: boolean;
    why: string;
  }[];
}

export interface Skip {
  sha: string;
  platform: string;
  reason: string;
  queue_depth: number;
  superseded_by: string | null;
  plan_id: number;
  planned_at: string;
}

export interface IndexSeries {
  platform: string;
  epoch: number | null;
  environment: string;
  metric: string;
  unit: string;
  direction: "lower" | "higher";
  base: { sha: string; source: string; benchmarks: number };
  // Only when asked for with max_points and the line had more: how many points it has in all.
  points_total?: number;
  points: { sha: string; run_id: string; commit_time: string | null; index: number; benchmarks: number }[];
}

export type JobState = "queued" | "running" | "done" | "failed";

// A planned job as agents run it (GET /api/v1/queue): its state, the agent holding it (or the
// last to), its lease, and what came of it: the run stored, or the end of a failed attempt's log.
export interface QueueJob {
  id: number;
  sha: string;
  platform: string;
  reason: string;
  reason_detail: string;
  commit_range: CommitRange;
  priority: number;
  state: JobState;
  attempt: number;
  agent: string | null;
  claimed_at: string | null;
  lease_expires_at: string | null;
  finished_at: string | null;
  run_id: string | null;
  log_tail: string | null;
  plan_id: number;
  planned_at: string;
}

export interface QueueAgent {
  name: string;
  platform: string;
  last_seen: string;
  job: number | null;  // the id of the job it holds
}

// Jobs newest plan first; `now` is the server's clock, which every age on the page is read against.
export interface QueueResponse {
  now: string;
  jobs: QueueJob[];
  agents: QueueAgent[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

const kTokenKey = "perfledger.token";
const kProjectKey = "perfledger.project";

// A setting saved in this browser: "" when none is (or storage cannot be read); saving ""
// removes it.
function saved(key: string): string {
  try {
    return localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

function save(key: string, value: string): void {
  if (value) localStorage.setItem(key, value);
  else localStorage.removeItem(key);
}

export function token(): string {
  return saved(kTokenKey);
}

export function setToken(value: string): void {
  save(kTokenKey, value);
}

// The project the pages show: the one chosen in the header, else none (the server's only one).
export function project(): string {
  return saved(kProjectKey);
}

export function setProject(value: string): void {
  save(kProjectKey, value);
}

export function url(path: string, params: Params = {}): string {
  return withQuery(`api/v1/${path}`, params);
}

async function request<T>(method: string, path: string, params: Params, body?: unknown): Promise<T> {
  if (publishedAt !== null) {
    if (method !== "GET") {
      throw new ApiError(405, "read_only", "This is a published, read-only copy of the dashboard: change the record on the server (perfledger serve) or with the CLI.");
    }
    return staticGet<T>(path, params);
  }
  const headers: Record<string, string> = { Accept: "application/json" };
  const t = token();
  if (t) headers["Authorization"] = `Bearer ${t}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(url(path, params), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    throw new ApiError(0, "network", `cannot reach the server (${(e as Error).message})`);
  }
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: reported below for errors; a success must be JSON.
  }
  if (!res.ok) {
    const err = (json as { error?: { code?: string; message?: string } } | null)?.error;
    throw new ApiError(
      res.status,
      err?.code ?? "http_" + res.status,
      err?.message ?? `${method} ${path}: HTTP ${res.status} ${res.statusText}`,
    );
  }
  if (json === null) throw new ApiError(res.status, "bad_response", `${path}: the response is not JSON`);
  return json as T;
}

export const get = <T>(path: string, params: Params = {}) => request<T>("GET", path, params);

// With the chosen project added to the query.
export const getP = <T>(path: string, params: Params = {}) =>
  request<T>("GET", path, { project: project(), ...params });

export const api = {
  projects: () => get<ProjectsResponse>("projects"),
  platforms: () => getP<{ platforms: Platform[] }>("platforms"),
  // `total` counts every match; `limit` caps the list.
  benchmarks: (q: string, limit = 1000, platform = "") =>
    getP<{ benchmarks: Benchmark[]; total?: number; limit: number }>("benchmarks", { q, platform, limit }),
  runs: (limit = 100, platform = "") => getP<{ total: number; runs: RunSummary[] }>("runs", { limit, platform }),
  series: (benchmark: string, metric = "", platform = "", query: SeriesQuery = {}) =>
    getP<SeriesResponse>("series", {
      benchmark,
      metric,
      platform,
      from: query.from,
      to: query.to,
      max_points: query.maxPoints,
    }),
  compare: (base: string, head: string, platform = "", metric = "") =>
    get<CompareResponse>("compare", { base, head, platform, metric }),
  coverage: (platform = "", since = "") => get<CoverageResponse>("coverage", { platform, since }),
  gaps: () => get<GapsResponse>("gaps"),
  skips: (platform = "", limit = 500) => get<{ total: number; skips: Skip[] }>("skips", { platform, limit }),
  alerts: (status = "", platform = "", kind = "") =>
    get<{ alerts: Alert[]; groups: AlertGroup[] }>("alerts", { status, platform, kind }),
  setAlertStatus: (id: number, status: AlertStatus, note?: string) =>
    request<Alert>("PATCH", `alerts/${id}`, {}, note === undefined ? { status } : { status, note }),
  index: (platform = "", metric = "", maxPoints?: number) =>
    get<{ indexes: IndexSeries[] }>("index", { platform, metric, max_points: maxPoints }),
  queue: (platform = "") => get<QueueResponse>("queue", { platform }),
};

export function compareRows(c: CompareResponse): CompareRow[] {
  return c.results ?? c.rows ?? [];
}

// ---- The published (static) dashboard ------------------------------------------------------

// When the page is a published copy: the time `perfledger publish` wrote it; else null.
export const publishedAt: string | null =
  typeof document === "undefined" ? null : document.querySelector<HTMLMetaElement>('meta[name="perfledger-static"]')?.content ?? null;
export const isStatic = publishedAt !== null;

// A comparison `perfledger publish` wrote (data/compare.json): why it was chosen, and its file.
export interface PublishedComparison {
  base: string;
  head: string;
  platform: string;
  why: string;
  file: string;
}

// One benchmark's published series (data/series/<key>/metrics.json).
interface PublishedMetrics {
  benchmark: string;
  default_metric: string;
  metrics: { name: string; file: string; full: boolean }[];
}

const files = new Map<string, Promise<unknown>>();

function notPublished(message: string): ApiError {
  return new ApiError(404, "not_published", message);
}

// A file of the published site, fetched once per page load. A file holding {"error": ...} is
// what the API answered with an error when it was published (coverage before any plan).
function file<T>(path: string): Promise<T> {
  let p = files.get(path);
  if (!p) {
    p = (async () => {
      let res: Response;
      try {
        res = await fetch(path, { headers: { Accept: "application/json" } });
      } catch (e) {
        throw new ApiError(0, "network", `cannot read ${path} (${(e as Error).message})`);
      }
      if (res.status === 404) throw notPublished(`${path}: not in this published dashboard`);
      if (!res.ok) throw new ApiError(res.status, "http_" + res.status, `${path}: HTTP ${res.status} ${res.statusText}`);
      const json = (await res.json()) as { error?: { code?: string; message?: string } };
      if (json && typeof json === "object" && json.error) {
        const code = json.error.code ?? "error";
        throw new ApiError(code === "not_found" ? 404 : code === "bad_request" ? 400 : 500, code, json.error.message ?? code);
      }
      return json;
    })();
    files.set(path, p);
    p.catch(() => files.delete(path));
  }
  return p as Promise<T>;
}

// The file name a benchmark, metric or platform is published under (service::StaticKey in
// src/service/publish.cc is the same function): UTF-8 bytes, [A-Za-z0-9_-] kept, any other byte
// "~xx"; longer than 150 characters: its first 100, "~~" and the name's 64-bit FNV-1a hash.
export function staticKey(name: string): string {
  const bytes = new TextEncoder().encode(name);
  let key = "";
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    key += /[A-Za-z0-9_-]/.test(c) ? c : "~" + b.toString(16).padStart(2, "0");
  }
  if (key.length <= 150) return key;
  let hash = 0xcbf29ce484222325n;
  for (const b of bytes) hash = ((hash ^ BigInt(b)) * 0x100000001b3n) & 0xffffffffffffffffn;
  let cut = 100;
  if (key[cut - 1] === "~") cut -= 1;
  if (key[cut - 2] === "~") cut -= 2;
  return `${key.slice(0, cut)}~~${hash.toString(16).padStart(16, "0")}`;
}

// A shell glob as fnmatch(3) without flags reads it (the server's q= with *?[): "*" and "?"
// match any character, "/" too; "[...]" a set, "[!...]" its complement; "\x" is x.
function globRegExp(glob: string): RegExp {
  let re = "";
  for (let i = 0; i < glob.length; ++i) {
    const c = glob[i];
    if (c === "*") re += "[\\s\\S]*";
    else if (c === "?") re += "[\\s\\S]";
    else if (c === "\\" && i + 1 < glob.length) re += glob[++i].replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
    else if (c === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close < 0) {
        re += "\\[";
        continue;
      }
      let set = glob.slice(i + 1, close);
      if (set.startsWith("!")) set = "^" + set.slice(1);
      re += "[" + set.replace(/\\/g, "\\\\") + "]";
      i = close;
    } else re += c.replace(/[.*+?^${}()|[\]\\\/-]/g, "\\$&");
  }
  return new RegExp("^" + re + "$");
}

const str = (v: Params[string]) => (v === null || v === undefined ? "" : String(v));

function platformFile(dir: string, platform: string): string {
  return platform ? `data/${dir}/${staticKey(platform)}.json` : `data/${dir}.json`;
}

// A series file's points within [from, to] (commit times, inclusive), as the API's from/to:
// a point without a commit time is left out. Every point of the range is kept.
function inRange(s: SeriesResponse, from: string, to: string): SeriesResponse {
  const lo = from ? Date.parse(from) : -Infinity;
  const hi = to ? Date.parse(to) : Infinity;
  return {
    ...s,
    series: s.series.map((e) => ({
      ...e,
      points: e.points.filter((p) => p.commit_time !== null && Date.parse(p.commit_time) >= lo && Date.parse(p.commit_time) <= hi),
    })),
  };
}

// Every point of a line: the form the API answers without max_points (no points_total, elided).
function whole(s: SeriesResponse): SeriesResponse {
  return {
    ...s,
    series: s.series.map((e) => {
      const { points_total: _total, ...rest } = e;
      return { ...rest, points: e.points.map(({ elided: _elided, ...p }) => p) };
    }),
  };
}

async function staticSeries(params: Params): Promise<SeriesResponse> {
  const benchmark = str(params.benchmark);
  const dir = `data/series/${staticKey(benchmark)}`;
  const index = await file<PublishedMetrics>(`${dir}/metrics.json`).catch((e: unknown) => {
    throw e instanceof ApiError && e.status === 404 ? notPublished(`no benchmark named '${benchmark}' in this published dashboard`) : e;
  });
  const metric = str(params.metric) || index.default_metric;
  const m = index.metrics.find((x) => x.name === metric);
  if (!m) throw new ApiError(404, "not_found", `benchmark '${benchmark}' has no metric '${metric}'`);
  const from = str(params.from);
  const to = str(params.to);
  const display = params.max_points !== undefined && params.max_points !== null && params.max_points !== "" && !from && !to;
  let s = await file<SeriesResponse>(`${dir}/${m.file}${m.full && !display ? ".full" : ""}.json`);
  if (!display) s = whole(from || to ? inRange(s, from, to) : s);
  const platform = str(params.platform);
  if (platform) s = { ...s, series: s.series.filter((e) => e.platform === platform), alerts: s.alerts.filter((a) => a.platform === platform) };
  return s;
}

async function staticCompare(params: Params): Promise<CompareResponse> {
  const base = str(params.base).toLowerCase();
  const head = str(params.head).toLowerCase();
  const platform = str(params.platform);
  if (str(params.metric)) {
    throw notPublished("A published comparison covers every metric: clear the metric field to see it.");
  }
  const { comparisons } = await publishedComparisons();
  const found = comparisons.find((c) => c.base.startsWith(base) && c.head.startsWith(head) && (!platform || c.platform === platform));
  if (!base || !head || !found) {
    throw notPublished(
      "This comparison is not in the published dashboard: it has those of every alert's range and of each platform's latest two commits (listed below). " +
        "Any two commits compare with `perfledger compare BASE HEAD` or on a server.",
    );
  }
  return file<CompareResponse>(found.file);
}

// The comparisons a published dashboard holds (static mode only).
export function publishedComparisons(): Promise<{ comparisons: PublishedComparison[] }> {
  return file<{ comparisons: PublishedComparison[] }>("data/compare.json");
}

async function staticGet<T>(path: string, params: Params): Promise<T> {
  const platform = str(params.platform);
  const limit = Number(str(params.limit)) || Infinity;
  switch (path) {
    case "projects":
      return file<T>("data/projects.json");
    case "platforms":
      return file<T>("data/platforms.json");
    case "benchmarks": {
      const all = await file<{ benchmarks: Benchmark[]; total: number; limit: number }>("data/benchmarks.json");
      const q = str(params.q);
      const glob = /[*?[]/.test(q) ? globRegExp(q) : null;
      const matches = all.benchmarks.filter(
        (b) => (!q || (glob ? glob.test(b.name) : b.name.toLowerCase().includes(q.toLowerCase()))) && (!platform || b.platforms.includes(platform)),
      );
      const cap = Number.isFinite(limit) ? limit : 1000;
      return { benchmarks: matches.slice(0, cap), total: matches.length, limit: cap } as T;
    }
    case "runs": {
      const doc = await file<{ total: number; runs: RunSummary[] }>("data/runs.json");
      const runs = platform ? doc.runs.filter((r) => r.platform === platform) : doc.runs;
      return { total: platform ? runs.length : doc.total, runs: runs.slice(0, limit) } as T;
    }
    case "series":
      return (await staticSeries(params)) as T;
    case "compare":
      return (await staticCompare(params)) as T;
    case "coverage":
      if (str(params.since)) throw notPublished("A published dashboard has the coverage of the whole branch only.");
      return file<T>(platformFile("coverage", platform));
    case "gaps":
      return file<T>("data/gaps.json");
    case "skips": {
      const doc = await file<{ total: number; skips: Skip[] }>(platformFile("skips", platform));
      return { total: doc.total, skips: doc.skips.slice(0, limit) } as T;
    }
    case "alerts": {
      const p = platform ? `/${staticKey(platform)}` : "";
      return file<T>(`data/alerts/${str(params.status) || "any"}/${str(params.kind) || "any"}${p}.json`);
    }
    case "index": {
      const doc = await file<{ indexes: IndexSeries[] }>("data/index.json");
      const metric = str(params.metric);
      return { indexes: doc.indexes.filter((s) => (!platform || s.platform === platform) && (!metric || s.metric === metric)) } as T;
    }
    case "queue":
      throw notPublished("The queue is what a server's agents are doing now: a published dashboard has none. See it on `perfledger serve`.");
    default:
      throw notPublished(`${path}: not in a published dashboard`);
  }
}
