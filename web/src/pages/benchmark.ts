// Benchmark: the trend of one benchmark and metric, one chart per platform, from
// /api/v1/series (one request for every platform). The benchmark list is a server-side search
// (/api/v1/benchmarks?q=), so a store with thousands of series loads only what is shown.
// Clicking two points of one platform links to Compare.
//
// Display resolution: the charts ask for about two points per pixel of their width
// (max_points), which the server picks so the lines look the same (docs/api.md); a zoom asks
// for the zoomed range again (from/to), and a reset shows the overview again (followZoom).
import { api, isStatic, type Alert, type Point, type SeriesEntry, type SeriesQuery, type SeriesResponse } from "../api";
import { type ChartGroup, commitOrder, kPalette, stretchLabel, type TrendChart, trendChart } from "../chart";
import { h } from "../dom";
import * as fmt from "../format";
import { commit, range } from "../links";
import { href, setParams } from "../router";
import { badge, errorBox, loading, note, sortableTable, type Page } from "../ui";
import { metricChoice, mountSeriesPage, type SeriesRoute, xAxisChoice } from "./series";

interface Pick {
  platform: string;
  point: Point;
}

export function mountBenchmark(root: HTMLElement, params: URLSearchParams): Page {
  let picks: Pick[] = [];

  const render = (content: HTMLElement, s: SeriesResponse, group: ChartGroup, route: SeriesRoute, query: SeriesQuery) => {
    const { platform } = route;
    // By commit order, every chart's x is the rank among the commits of every line shown, so
    // the charts still zoom together.
    const order = route.x === "order" ? commitOrder(s.series.filter((e) => !platform || e.platform === platform)) : undefined;
    const platforms = [...new Set(s.series.map((e) => e.platform))].sort();
    const metricSelect = metricChoice(s);
    const platformSelect = h(
      "select",
      { "aria-label": "platform", onchange: (e: Event) => setParams({ platform: (e.target as HTMLSelectElement).value || null }) },
      h("option", { value: "" }, "all platforms"),
      platforms.map((p) => h("option", { value: p, selected: p === platform || null }, p)),
    );
    const pickBar = h("div", { class: "pick-bar" });
    const charts = h("div", { class: "charts" });
    const shown = platform ? platforms.filter((p) => p === platform) : platforms;
    const resolution = h("span", { class: "muted small resolution", "data-state": "overview" });
    content.replaceChildren(
      h("h1", { class: "bench-name" }, s.benchmark),
      h(
        "div",
        { class: "toolbar" },
        h("label", null, "metric ", metricSelect),
        h("label", null, "platform ", platformSelect),
        h("label", null, "x axis ", xAxisChoice(route)),
        h("span", { class: "muted small" }, `${s.direction} is better`),
        resolution,
        h("a", { href: href("cross", { name: s.benchmark, metric: s.metric }) }, "all platforms normalised →"),
      ),
      legend(s.series),
      pickBar,
      charts,
      alertsTable(s.alerts),
    );
    renderPicks(pickBar, group);
    if (s.series.length === 0) {
      charts.append(note("No points for this benchmark and metric."));
      return;
    }
    const trends: TrendChart[] = [];
    for (const p of shown) {
      const entries = s.series.filter((e) => e.platform === p);
      const points = entries.flatMap((e) => e.points);
      const last = points[points.length - 1];
      const total = entries.reduce((n, e) => n + (e.points_total ?? e.points.length), 0);
      const box = h("div", { class: "chart", "data-platform": p });
      charts.append(
        h(
          "div",
          { class: "chart-block" },
          h("h3", null, p,
            last ? h("span", { class: "muted small" }, `latest ${fmt.value(last.median, s.unit)} at `, commit(last.sha), ` · ${total} points`) : null),
          box,
        ),
      );
      const trend = trendChart(box, {
        platform: p,
        unit: s.unit,
        entries,
        alerts: s.alerts,
        group,
        order,
        onPick: (pt) => {
          picks = picks.filter((k) => k.platform === p && k.point.sha !== pt.sha).slice(-1);
          picks.push({ platform: p, point: pt });
          renderPicks(pickBar, group);
          group.redrawAll();  // picks are on one platform: other charts drop their rings
        },
        picked: () => picks.filter((k) => k.platform === p).map((k) => k.point.sha),
      });
      trends.push(trend);
    }
    followZoom(s, shown, trends, group, query, resolution);
  };

  const renderPicks = (bar: HTMLElement, group: ChartGroup) => {
    if (picks.length === 0) {
      bar.replaceChildren(h("span", { class: "muted" }, "Click two points of one platform to compare them. Drag to zoom, wheel to zoom, shift+drag to pan, double-click to reset."));
      return;
    }
    const sorted = [...picks].sort((a, b) => (a.point.commit_time ?? "").localeCompare(b.point.commit_time ?? ""));
    const [base, head] = sorted.length === 2 ? sorted : [sorted[0], undefined];
    bar.replaceChildren(
      h("span", { class: "pick" }, "base ", commit(base.point.sha), " ", h("span", { class: "muted small" }, base.point.subject ?? "")),
      head
        ? h("span", { class: "pick" }, "head ", commit(head.point.sha), " ", h("span", { class: "muted small" }, head.point.subject ?? ""))
        : h("span", { class: "muted" }, "pick a second point"),
      head
        ? h("a", { class: "compare-link", href: href("compare", { base: base.point.sha, head: head.point.sha, platform: base.platform }) }, `Compare on ${base.platform} →`)
        : "",
      h("button", { type: "button", onclick: () => { picks = []; renderPicks(bar, group); group.redrawAll(); } }, "clear"),
    );
  };

  return mountSeriesPage(root, params, {
    keys: ["platform", "x"],
    contentClass: "bench-content",
    titleClass: "bench-name",
    choose: (b, { platform }) => ({ name: b.name, metric: null, platform: platform || null }),
    // By commit order every point is drawn (the server's downsampling buckets time).
    maxPoints: (content, route) =>
      route.x === "order" ? undefined : Math.min(kMaxPoints, Math.max(400, 2 * Math.round(content.clientWidth || 800))),
    empty: () => [h("h1", null, "Benchmarks"), note("Choose a benchmark on the left, or search for one."), movedHint()],
    render,
    reset: () => (picks = []),
  });
}

// The server's largest max_points (docs/api.md).
const kMaxPoints = 100000;

// "2026-11-24T09:31:00Z": whole seconds, as the API's from/to.
const isoSeconds = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.\d+Z$/, "Z");

// What the charts of `platforms` show of `s`: points drawn and the lines' points in all.
function resolutionNote(s: SeriesResponse, platforms: string[], zoomed: boolean): string {
  const entries = s.series.filter((e) => platforms.includes(e.platform));
  const drawn = entries.reduce((n, e) => n + e.points.length, 0);
  const total = entries.reduce((n, e) => n + (e.points_total ?? e.points.length), 0);
  if (drawn < total) return `${drawn} of ${total} points${zoomed ? " in the zoomed range" : ""}: zoom in for every point`;
  return zoomed ? `every point of the zoomed range (${total})` : "";
}

// The overview (`s`) is what the charts' width shows of each line. When the server left points
// out, a zoom (drag, wheel, pan) asks for the zoomed range (and a quarter of it on each side)
// with from/to, at the same max_points: every point there while they fit. Zooming out to everything, or a double click,
// shows the overview again. Nothing is fetched when every point is already drawn, nor for a
// range inside one fetched whole.
function followZoom(
  s: SeriesResponse,
  platforms: string[],
  charts: TrendChart[],
  group: ChartGroup,
  query: SeriesQuery,
  status: HTMLElement,
): void {
  const note = (r: SeriesResponse, state: string) => {
    status.textContent = resolutionNote(r, platforms, state === "zoomed");
    status.dataset.state = state;
  };
  note(s, "overview");
  const downsampled = s.series.some((e) => platforms.includes(e.platform) && (e.points_total ?? 0) > e.points.length);
  if (!downsampled || charts.length === 0) return;
  const lo = Math.min(...charts.map((c) => c.extent[0]));
  const hi = Math.max(...charts.map((c) => c.extent[1]));
  let shown: { from: number; to: number; whole: boolean } | null = null;  // null: the overview
  let seq = 0;
  let timer: number | undefined;
  let resetting = false;

  const overview = () => {
    ++seq;
    if (shown) for (const c of charts) c.show(s.series);
    shown = null;
    note(s, "overview");
  };
  const zoom = async (min: number, max: number) => {
    if (!group.alive) return;
    if (min <= lo + 1 && max >= hi - 1) return overview();
    if (shown && shown.whole && shown.from <= min && max <= shown.to) return;
    // A quarter of the range more on each side: the lines run on to the chart's edges, and a
    // short pan needs no request.
    const pad = (max - min) / 4;
    const from = Math.floor(Math.max(lo, min - pad));
    const to = Math.ceil(Math.min(hi, max + pad));
    const mine = ++seq;
    status.textContent = "loading the zoomed range…";
    status.dataset.state = "loading";
    try {
      const w = await api.series(s.benchmark, s.metric, "", { ...query, from: isoSeconds(from), to: isoSeconds(to) });
      if (mine !== seq || !group.alive) return;
      for (const c of charts) c.show(w.series);
      shown = { from, to, whole: w.series.every((e) => (e.points_total ?? 0) <= e.points.length) };
      note(w, "zoomed");
    } catch (err) {
      if (mine !== seq || !group.alive) return;
      status.textContent = `the zoomed range could not be loaded: ${(err as Error).message}`;
      status.dataset.state = "error";
    }
  };
  group.onRange = (min, max) => {
    if (resetting) return;
    window.clearTimeout(timer);
    timer = window.setTimeout(() => void zoom(min, max), 250);
  };
  // A double click: the overview's points first, then the charts reset to them.
  group.beforeReset = () => {
    window.clearTimeout(timer);
    resetting = true;
    window.setTimeout(() => (resetting = false), 0);
    overview();
  };
}

function legend(entries: SeriesEntry[]): HTMLElement {
  const stretches = new Map<string, string>();
  entries.forEach((e, i) => {
    const key = stretchLabel(e);
    if (!stretches.has(key)) stretches.set(key, kPalette[i % kPalette.length]);
  });
  return h(
    "div",
    { class: "legend-row" },
    [...stretches].map(([label, color]) => h("span", null, h("span", { class: "swatch", style: `background:${color}` }), ` median, ${label}`)),
    h("span", null, h("span", { class: "swatch", style: "background:#2563eb33" }), " spread (1.4826·MAD/median)"),
    h("span", null, h("span", { class: "swatch gap" }), " gap (commits with no measurement)"),
    h("span", null, h("span", { class: "swatch epoch" }), " epoch boundary"),
    h("span", null, h("span", { class: "swatch env" }), " environment change"),
    h("span", null, h("span", { class: "swatch alert" }), " alert range (▼)"),
    h("span", null, h("span", { class: "swatch drift" }), " drift (a gradual change: its first to last commit)"),
    h("span", null, h("span", { class: "swatch noise" }), " noise (the spread changed)"),
  );
}

function alertsTable(alerts: Alert[]): HTMLElement {
  if (alerts.length === 0) return h("div", null, h("h2", null, "Alerts"), note("No alerts for this benchmark and metric."));
  return h(
    "div",
    null,
    h("h2", null, `Alerts (${alerts.length})`),
    sortableTable(alerts, [
      { title: "platform", cell: (a) => a.platform, sort: (a) => a.platform },
      { title: "range", cell: (a) => range(a.commit_range) },
      { title: "change", cls: "num", cell: (a) => h("span", { class: fmt.alertClass(a) }, fmt.alertChange(a)), sort: (a) => a.change },
      { title: "before → after", cls: "num", cell: (a) => `${fmt.value(a.before_median, a.unit)} → ${fmt.value(a.after_median, a.unit)}` },
      { title: "kind", cell: (a) => badge(a.kind), sort: (a) => a.kind },
      { title: "status", cell: (a) => badge(a.status), sort: (a) => a.status },
      { title: "", cell: (a) => h("a", { href: href("alerts", { status: a.status, range: a.commit_range.to }) }, isStatic ? "in Alerts" : "triage") },
    ]),
  );
}

// With no benchmark chosen: the benchmarks that moved, as a starting point.
function movedHint(): HTMLElement {
  const slot = h("div", null, loading());
  void api
    .alerts("open")
    .then(({ alerts }) => {
      const seen = new Set<string>();
      const items = [...alerts]
        .sort((a, b) => Math.abs(b.change) - Math.abs(a.change))
        .filter((a) => !seen.has(a.benchmark + "\n" + a.metric) && seen.add(a.benchmark + "\n" + a.metric))
        .slice(0, 20);
      slot.replaceChildren(
        items.length
          ? h("div", null, h("h2", null, "Moved recently"),
              h("ul", { class: "moved" }, items.map((a) => h("li", null,
                h("a", { href: href("benchmark", { name: a.benchmark, metric: a.metric }) }, a.benchmark),
                ` ${a.metric} on ${a.platform} `, h("b", null, fmt.pct(a.change)))))) 
          : note("No open alerts."),
      );
    })
    .catch((err: unknown) => slot.replaceChildren(errorBox(err, "alerts")));
  return slot;
}
