// Queue: the jobs agents run (GET /api/v1/queue), per platform: waiting, running (the agent,
// how long since it claimed the job, when its lease ends), failed (with the end of the log),
// the most recent done; then the agents seen and their last heartbeat. Every age is read
// against the document's `now` (the server's clock, not this browser's); the page asks again
// every 30 s while it is shown.
import { api, isStatic, type JobState, type QueueAgent, type QueueJob, type QueueResponse } from "../api";
import { h } from "../dom";
import * as fmt from "../format";
import { commit } from "../links";
import { href, setParams } from "../router";
import { badge, errorBox, loading, note, sortableTable, type Page } from "../ui";

const kStates: [JobState, string][] = [["queued", "waiting"], ["running", "running"], ["failed", "failed"], ["done", "done"]];
const kDoneShown = 20;
const kRefreshMs = 30_000;

export function mountQueue(root: HTMLElement, params: URLSearchParams): Page {
  if (isStatic) {
    root.append(h("h1", null, "Queue"),
      note(h("span", null, "The queue is what a server's agents are doing now: a published dashboard has none. See it on ", h("code", null, "perfledger serve"), ".")));
    return {};
  }
  const platform = params.get("platform") ?? "";
  const platformSelect = h(
    "select",
    { "aria-label": "platform", onchange: (e: Event) => setParams({ platform: (e.target as HTMLSelectElement).value || null }, false) },
    h("option", { value: "" }, "all platforms"),
    platform ? h("option", { value: platform, selected: true }, platform) : null,
  );
  const asOf = h("span", { class: "muted small" });
  const content = h("div", null, loading());
  root.append(
    h("h1", null, "Queue"),
    h("div", { class: "toolbar" }, h("label", null, "platform ", platformSelect),
      h("button", { type: "button", onclick: () => void load() }, "Refresh"), asOf),
    content,
  );
  const known = new Set(platform ? [platform] : []);
  const addPlatforms = (names: string[]) => {
    for (const n of [...names].sort()) {
      if (known.has(n)) continue;
      known.add(n);
      platformSelect.append(h("option", { value: n }, n));
    }
  };
  void api.platforms().then(({ platforms }) => addPlatforms(platforms.map((p) => p.name))).catch(() => undefined);

  let alive = true;
  let seq = 0;
  const load = async () => {
    const mine = ++seq;
    try {
      const q = await api.queue(platform);
      if (!alive || mine !== seq) return;
      addPlatforms([...q.jobs.map((j) => j.platform), ...q.agents.map((a) => a.platform)]);
      // A log someone opened stays open when the page asks again.
      const open = new Set([...content.querySelectorAll("details[open]")].map((d) => (d as HTMLElement).dataset.job));
      content.replaceChildren(...render(q));
      for (const d of content.querySelectorAll("details")) if (open.has((d as HTMLElement).dataset.job)) d.open = true;
      asOf.textContent = `as of ${fmt.time(q.now)}`;
    } catch (err) {
      if (!alive || mine !== seq) return;
      content.replaceChildren(errorBox(err, "queue"));
    }
  };
  void load();
  const timer = window.setInterval(() => {
    if (!document.hidden) void load();
  }, kRefreshMs);
  return {
    destroy() {
      alive = false;
      window.clearInterval(timer);
    },
  };
}

// Milliseconds since the epoch of the document's `now` (this browser's clock if unreadable).
function nowOf(q: QueueResponse): number {
  const t = Date.parse(q.now);
  return Number.isNaN(t) ? Date.now() : t;
}

function render(q: QueueResponse): Node[] {
  if (q.jobs.length === 0 && q.agents.length === 0) {
    return [h("div", { class: "queue-summary" }, note(h("span", null, "No jobs: plans recorded by ", h("code", null, "perfledger plan --record"),
      " or ", h("code", null, "serve --plan-every"), " appear here; agents claim them with ", h("code", null, "perfledger agent"), ".")))];
  }
  const at = nowOf(q);
  const platforms = [...new Set([...q.jobs.map((j) => j.platform), ...q.agents.map((a) => a.platform)])].sort();
  const jobsOf = (p: string) => q.jobs.filter((j) => j.platform === p);
  const count = (jobs: QueueJob[], s: JobState) => jobs.filter((j) => j.state === s).length;
  return [
    h("div", { class: "queue-summary" }, sortableTable(platforms, [
      { title: "platform", cell: (p) => h("a", { href: href("queue", { platform: p }), title: `only ${p}` }, p), sort: (p) => p },
      ...kStates.map(([s, title]) => ({ title, cls: "num", cell: (p: string) => String(count(jobsOf(p), s)), sort: (p: string) => count(jobsOf(p), s) })),
      { title: "agents", cls: "num", cell: (p) => String(q.agents.filter((a) => a.platform === p).length) },
    ])),
    ...platforms.map((p) => platformSection(p, jobsOf(p), at)),
    h("h2", null, "Agents"),
    agentsTable(q.agents, q.jobs, at),
  ];
}

const commitCell = (j: QueueJob) => commit(j.sha);
const reasonCell = (j: QueueJob) => h("span", null, j.reason, j.reason_detail ? h("div", { class: "muted small" }, j.reason_detail) : null);
const ageCell = (t: string | null, at: number) => h("span", { title: fmt.time(t) }, fmt.ago(t, at));
const seconds = (t: string | null, at: number) => (t ? (Date.parse(t) - at) / 1000 : NaN);

// The end of a failed attempt's output, closed until asked for; text only (it is whatever the
// agent sent).
function logDetails(j: QueueJob): Node {
  if (!j.log_tail) return h("span", { class: "muted" }, "no log");
  const lines = j.log_tail.replace(/\n$/, "").split("\n").length;
  return h("details", { class: "log", "data-job": j.id }, h("summary", null, `last ${lines} line${lines === 1 ? "" : "s"} of the log`), h("pre", null, j.log_tail));
}

function platformSection(p: string, jobs: QueueJob[], at: number): HTMLElement {
  const of = (s: JobState) => jobs.filter((j) => j.state === s);
  const counts = kStates.map(([s, title]) => `${of(s).length} ${title}`).join(" · ");
  const block = (state: JobState, title: string, table: HTMLElement) =>
    h("div", { class: "queue-block", "data-state": state }, h("h3", null, title), table);
  const waiting = of("queued");
  const running = of("running");
  const failed = of("failed");
  // The most recent first: by when an agent finished them, else by plan (the server's order).
  const done = of("done")
    .map((j, i) => ({ j, i }))
    .sort((a, b) => (b.j.finished_at ?? "").localeCompare(a.j.finished_at ?? "") || a.i - b.i)
    .map((x) => x.j);
  const blocks: HTMLElement[] = [];
  if (waiting.length) {
    blocks.push(block("queued", `Waiting (${waiting.length})`, sortableTable(waiting, [
      { title: "commit", cell: commitCell },
      { title: "reason", cell: reasonCell, sort: (j) => j.reason },
      { title: "commits", cls: "num", cell: (j) => h("span", { title: fmt.range(j.commit_range) }, j.commit_range.count === null ? "?" : String(j.commit_range.count)), sort: (j) => j.commit_range.count },
      { title: "priority", cls: "num", cell: (j) => String(j.priority), sort: (j) => j.priority },
      { title: "planned", cell: (j) => ageCell(j.planned_at, at), sort: (j) => j.planned_at },
      { title: "attempts", cls: "num", cell: (j) => (j.attempt ? h("span", null, String(j.attempt), logDetails(j)) : "–"), sort: (j) => j.attempt },
    ])));
  }
  if (running.length) {
    blocks.push(block("running", `Running (${running.length})`, sortableTable(running, [
      { title: "commit", cell: commitCell },
      { title: "reason", cell: reasonCell, sort: (j) => j.reason },
      { title: "agent", cell: (j) => j.agent ?? "–", sort: (j) => j.agent },
      { title: "attempt", cls: "num", cell: (j) => String(j.attempt), sort: (j) => j.attempt },
      { title: "running for", cls: "num", cell: (j) => h("span", { title: `claimed ${fmt.time(j.claimed_at)}` }, j.claimed_at ? fmt.duration(-seconds(j.claimed_at, at)) : "–"), sort: (j) => j.claimed_at },
      {
        title: "lease",
        cell: (j) => {
          const left = seconds(j.lease_expires_at, at);
          if (Number.isNaN(left)) return "–";
          return h("span", { title: `until ${fmt.time(j.lease_expires_at)}` }, left < 0 ? badge("lease expired", "stalled") : `ends in ${fmt.duration(left)}`);
        },
        sort: (j) => j.lease_expires_at,
      },
    ])));
  }
  if (failed.length) {
    blocks.push(block("failed", `Failed (${failed.length})`, sortableTable(failed, [
      { title: "commit", cell: commitCell },
      { title: "reason", cell: reasonCell, sort: (j) => j.reason },
      { title: "attempts", cls: "num", cell: (j) => String(j.attempt), sort: (j) => j.attempt },
      { title: "last agent", cls: "nowrap", cell: (j) => j.agent ?? "–", sort: (j) => j.agent },
      { title: "failed", cls: "nowrap", cell: (j) => ageCell(j.finished_at, at), sort: (j) => j.finished_at },
      { title: "log", cls: "log-cell", cell: logDetails },
    ])));
  }
  if (done.length) {
    blocks.push(block("done", done.length > kDoneShown ? `Done (the latest ${kDoneShown} of ${done.length})` : `Done (${done.length})`, sortableTable(done.slice(0, kDoneShown), [
      { title: "commit", cell: commitCell },
      { title: "reason", cell: reasonCell, sort: (j) => j.reason },
      { title: "agent", cell: (j) => j.agent ?? "–", sort: (j) => j.agent },
      { title: "finished", cell: (j) => (j.finished_at ? ageCell(j.finished_at, at) : "–"), sort: (j) => j.finished_at },
      {
        title: "run",
        cell: (j) => j.run_id ? h("code", null, j.run_id) : h("span", { class: "muted", title: "a run of this commit and platform was stored without an agent" }, "measured elsewhere"),
      },
    ])));
  }
  if (!waiting.length && !running.length) blocks.unshift(note("Nothing waiting or running."));
  return h(
    "section",
    { class: "group queue-platform", "data-platform": p },
    h("div", { class: "group-head" }, h("b", null, p), h("span", { class: "muted small" }, counts),
      h("a", { href: href("coverage", { platform: p }) }, "coverage")),
    ...blocks,
  );
}

function agentsTable(agents: QueueAgent[], jobs: QueueJob[], at: number): HTMLElement {
  if (agents.length === 0) {
    return h("div", { class: "queue-agents" }, note(h("span", null, "No agent has claimed a job yet: start one with ", h("code", null, "perfledger agent"), ".")));
  }
  const byId = new Map(jobs.map((j) => [j.id, j]));
  return h("div", { class: "queue-agents" }, sortableTable(agents, [
    { title: "agent", cell: (a) => a.name, sort: (a) => a.name },
    { title: "platform", cell: (a) => a.platform, sort: (a) => a.platform },
    { title: "last seen", cell: (a) => ageCell(a.last_seen, at), sort: (a) => a.last_seen },
    {
      title: "job",
      cell: (a) => {
        if (a.job === null) return h("span", { class: "muted" }, "idle");
        const j = byId.get(a.job);
        return h("span", null, `#${a.job}`, j ? [" ", commitCell(j), " ", badge(j.state)] : null);
      },
      sort: (a) => a.job,
    },
  ], 500, { col: 2, desc: true }));
}
