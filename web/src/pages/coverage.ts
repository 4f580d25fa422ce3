// Coverage: how every commit of the branch is accounted for per platform (measured, represented
// by some run's commit_range, skipped and why, pending, unaccounted) over time, the gaps, and the
// skip log with the queue depth at each decision.
import { ApiError, api, isStatic, type CommitStatus, type CoverageResponse, type GapsResponse, type Skip } from "../api";
import { ChartGroup, lineChart } from "../chart";
import { h } from "../dom";
import * as fmt from "../format";
import { commit } from "../links";
import { setParams } from "../router";
import { badge, errorBox, loading, note, sortableTable, type Page } from "../ui";

const kStatusColor: Record<CommitStatus, string> = {
  measured: "#059669",
  represented: "#86efac",
  skipped: "#a3a3a3",
  pending: "#60a5fa",
  unaccounted: "#dc2626",
};

const kSince: [string, string][] = [["", "all commits"], ["1", "last 24 h"], ["7", "last 7 days"], ["30", "last 30 days"]];

export function mountCoverage(root: HTMLElement, params: URLSearchParams): Page {
  const days = params.get("days") ?? "";
  const platform = params.get("platform") ?? "";
  const since = days && !isStatic ? new Date(Date.now() - Number(days) * 86400e3).toISOString().replace(/\.\d+Z$/, "Z") : "";
  const sinceSelect = h(
    "select",
    { "aria-label": "since", onchange: (e: Event) => setParams({ days: (e.target as HTMLSelectElement).value || null }, false) },
    kSince.map(([v, t]) => h("option", { value: v, selected: v === days || null }, t)),
  );
  const platformSelect = h(
    "select",
    { "aria-label": "platform", onchange: (e: Event) => setParams({ platform: (e.target as HTMLSelectElement).value || null }, false) },
    h("option", { value: "" }, "all platforms"),
  );
  const summary = h("div", null, loading());
  const strips = h("div");
  const skipsSlot = h("div", null, loading());
  root.append(
    h("h1", null, "Coverage"),
    // A published dashboard holds the coverage of the whole branch (a window depends on "now").
    h("div", { class: "toolbar" }, h("label", null, "platform ", platformSelect), isStatic ? null : h("label", null, "commits ", sinceSelect)),
    summary,
    h("h2", null, "Over time"),
    strips,
    h("h2", null, "Skip log"),
    skipsSlot,
  );
  const group = new ChartGroup();
  let alive = true;

  void api.platforms().then(({ platforms }) => {
    platformSelect.append(...platforms.map((p) => h("option", { value: p.name, selected: p.name === platform || null }, p.name)));
  }).catch(() => undefined);

  void (async () => {
    const [cov, gaps] = await Promise.all([
      api.coverage(platform, since).catch((e: unknown) => e as Error),
      api.gaps().catch((e: unknown) => e as Error),
    ]);
    if (!alive) return;
    if (cov instanceof ApiError && cov.status === 404) {
      summary.replaceChildren(note("No plan recorded yet: coverage is counted against the branch the last `perfledger plan --record` saw."));
    } else if (cov instanceof Error) {
      summary.replaceChildren(errorBox(cov, "coverage"));
    } else {
      summary.replaceChildren(summaryTable(cov, gaps instanceof Error ? null : gaps));
      strips.replaceChildren(...commitStrips(cov));
    }
    if (gaps instanceof Error && !(gaps instanceof ApiError && gaps.status === 404)) summary.append(errorBox(gaps, "gaps"));
  })();

  void api.skips(platform, 2000).then(({ skips }) => {
    if (!alive) return;
    skipsSlot.replaceChildren(...skipLog(skips, group));
  }).catch((err: unknown) => skipsSlot.replaceChildren(errorBox(err, "skips")));

  return {
    destroy() {
      alive = false;
      group.destroy();
    },
  };
}

function summaryTable(cov: CoverageResponse, gaps: GapsResponse | null): Node {
  const gapOf = (p: string) => gaps?.platforms.find((g) => g.platform === p);
  return h(
    "div",
    null,
    note(h("span", null, `Branch ${cov.branch} at `, commit(cov.head), `: ${cov.commits.length} commits.`,
      gaps ? ` Expected: ${gaps.expected_benchmarks} benchmarks on every platform.` : "")),
    sortableTable(cov.platforms, [
      { title: "platform", cell: (r) => r.platform, sort: (r) => r.platform },
      { title: "commits", cls: "num", cell: (r) => String(r.commits), sort: (r) => r.commits },
      { title: "measured", cls: "num", cell: (r) => `${r.measured} (${fmt.share(r.coverage_measured)})`, sort: (r) => r.coverage_measured },
      { title: "represented", cls: "num", cell: (r) => `${r.represented} (${fmt.share(r.coverage_represented)})`, sort: (r) => r.coverage_represented },
      {
        title: "skipped",
        cls: "num",
        cell: (r) => h("span", { title: Object.entries(r.skipped_by_reason).map(([k, v]) => `${k}: ${v}`).join(", ") },
          String(r.skipped), Object.keys(r.skipped_by_reason).length ? h("div", { class: "muted small" }, Object.entries(r.skipped_by_reason).map(([k, v]) => `${k} ${v}`).join(", ")) : null),
        sort: (r) => r.skipped,
      },
      { title: "pending", cls: "num", cell: (r) => String(r.pending), sort: (r) => r.pending },
      {
        title: "unaccounted",
        cls: "num",
        cell: (r) => h("span", { class: r.unaccounted ? "bad" : "", title: r.unaccounted_shas.join("\n") }, String(r.unaccounted)),
        sort: (r) => r.unaccounted,
      },
      {
        title: "gap",
        cell: (r) => {
          const g = gapOf(r.platform);
          if (!g) return "–";
          return h("span", null, g.stalled ? badge("stalled") : badge("ok"), ` ${g.commits_since} commits since the last complete run`,
            g.why ? h("div", { class: "muted small" }, g.why) : null);
        },
        sort: (r) => gapOf(r.platform)?.commits_since ?? null,
      },
    ]),
  );
}

// One strip per platform, a column per commit (oldest left), coloured by how it is covered.
function commitStrips(cov: CoverageResponse): Node[] {
  const commits = cov.commits;
  if (commits.length === 0) return [note("No commits in this range.")];
  const info = h("div", { class: "muted small strip-info" }, "Hover a strip for the commit.");
  const rows = cov.platforms.map((p) => {
    const canvas = h("canvas", { class: "strip", "data-platform": p.platform, width: Math.min(4000, Math.max(commits.length, 400)), height: 28 });
    const ctx = canvas.getContext("2d");
    if (ctx) {
      const w = canvas.width / commits.length;
      commits.forEach((c, i) => {
        ctx.fillStyle = kStatusColor[c.status[p.platform]] ?? "#e5e5e5";
        ctx.fillRect(Math.floor(i * w), 0, Math.max(1, Math.ceil(w)), canvas.height);
      });
    }
    canvas.addEventListener("mousemove", (e) => {
      const rect = canvas.getBoundingClientRect();
      const i = Math.min(commits.length - 1, Math.max(0, Math.floor(((e.clientX - rect.left) / rect.width) * commits.length)));
      const c = commits[i];
      info.replaceChildren(commit(c.sha), ` ${fmt.time(c.time)} `, c.subject ?? "", " — ", p.platform, ": ", badge(c.status[p.platform] ?? "unknown"));
    });
    return h("div", { class: "strip-row" }, h("span", null, p.platform), canvas);
  });
  return [
    h("div", { class: "legend-row" },
      Object.entries(kStatusColor).map(([k, c]) => h("span", null, h("span", { class: "swatch", style: `background:${c}` }), ` ${k}`))),
    ...rows,
    h("div", { class: "strip-row muted small" }, h("span"), h("span", null, `${fmt.time(commits[0].time)} … ${fmt.time(commits[commits.length - 1].time)}`)),
    info,
  ];
}

function skipLog(skips: Skip[], group: ChartGroup): Node[] {
  if (skips.length === 0) return [note("No commits were skipped.")];
  const reasons = [...new Set(skips.map((s) => s.reason))].sort();
  const reasonSelect = h("select", { "aria-label": "skip reason" }, h("option", { value: "" }, "every reason"), reasons.map((r) => h("option", { value: r }, r)));
  const tableSlot = h("div");
  const render = () => {
    const shown = reasonSelect.value ? skips.filter((s) => s.reason === reasonSelect.value) : skips;
    tableSlot.replaceChildren(
      sortableTable(shown, [
        { title: "planned", cell: (s) => fmt.time(s.planned_at), sort: (s) => s.planned_at },
        { title: "commit", cell: (s) => commit(s.sha) },
        { title: "platform", cell: (s) => s.platform, sort: (s) => s.platform },
        { title: "reason", cell: (s) => s.reason, sort: (s) => s.reason },
        { title: "queue depth", cls: "num", cell: (s) => String(s.queue_depth), sort: (s) => s.queue_depth },
        { title: "superseded by", cell: (s) => (s.superseded_by ? commit(s.superseded_by) : "–") },
      ], 200),
    );
  };
  reasonSelect.addEventListener("change", render);
  render();
  const chartBox = h("div", { class: "chart" });
  const out: Node[] = [
    h("h3", null, "Queue depth when commits were skipped"),
    chartBox,
    h("div", { class: "toolbar" }, h("label", null, "reason ", reasonSelect), h("span", { class: "muted small" }, `${skips.length} skips`)),
    tableSlot,
  ];
  // After the caller puts the box in the page (the chart takes its width from it).
  requestAnimationFrame(() => {
    if (!chartBox.isConnected) return;
    const byTime = new Map<number, number>();
    for (const s of skips) {
      const t = fmt.epochSeconds(s.planned_at);
      if (t !== null) byTime.set(t, Math.max(byTime.get(t) ?? 0, s.queue_depth));
    }
    lineChart(
      chartBox,
      [{ label: "queue depth", color: "#d97706", points: [...byTime].map(([x, y]) => ({ x, y, title: "" })) }],
      group,
      (v) => (Number.isInteger(v) ? String(v) : ""),
      180,
      true,
    );
  });
  return out;
}
