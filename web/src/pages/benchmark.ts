// Benchmark: the trend of one benchmark and metric, one chart per platform, from
// /api/v1/series (one request for every platform). The benchmark list is a server-side search
// (/api/v1/benchmarks?q=), so a store with thousands of series loads only what is shown.
// Clicking two points of one platform links to Compare.
import { api, type Alert, type Point, type SeriesEntry, type SeriesResponse } from "../api";
import { type ChartGroup, kPalette, stretchLabel, trendChart } from "../chart";
import { h } from "../dom";
import * as fmt from "../format";
import { href, setParams } from "../router";
import { badge, errorBox, loading, note, sortableTable, type Page } from "../ui";
import { metricChoice, mountSeriesPage, type SeriesRoute } from "./series";

interface Pick {
  platform: string;
  point: Point;
}

export function mountBenchmark(root: HTMLElement, params: URLSearchParams): Page {
  let picks: Pick[] = [];

  const render = (content: HTMLElement, s: SeriesResponse, group: ChartGroup, { platform }: SeriesRoute) => {
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
    content.replaceChildren(
      h("h1", { class: "bench-name" }, s.benchmark),
      h(
        "div",
        { class: "toolbar" },
        h("label", null, "metric ", metricSelect),
        h("label", null, "platform ", platformSelect),
        h("span", { class: "muted small" }, `${s.direction} is better`),
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
    for (const p of shown) {
      const entries = s.series.filter((e) => e.platform === p);
      const points = entries.flatMap((e) => e.points);
      const last = points[points.length - 1];
      const box = h("div", { class: "chart", "data-platform": p });
      charts.append(
        h(
          "div",
          { class: "chart-block" },
          h("h3", null, p,
            last ? h("span", { class: "muted small" }, `latest ${fmt.value(last.median, s.unit)} at ${fmt.sha(last.sha)} · ${points.length} points`) : null),
          box,
        ),
      );
      trendChart(box, {
        platform: p,
        unit: s.unit,
        entries,
        alerts: s.alerts,
        group,
        onPick: (pt) => {
          picks = picks.filter((k) => k.platform === p && k.point.sha !== pt.sha).slice(-1);
          picks.push({ platform: p, point: pt });
          renderPicks(pickBar, group);
          group.redrawAll();  // picks are on one platform: other charts drop their rings
        },
        picked: () => picks.filter((k) => k.platform === p).map((k) => k.point.sha),
      });
    }
  };

  const renderPicks = (bar: HTMLElement, group: ChartGroup) => {
    if (picks.length === 0) {
      bar.replaceChildren(h("span", { class: "muted" }, "Click two points of one platform to compare them. Drag to zoom, wheel to zoom, shift+drag to pan, double-click to reset."));
      return;
    }
    const sorted = [...picks].sort((a, b) => (a.point.commit_time ?? "").localeCompare(b.point.commit_time ?? ""));
    const [base, head] = sorted.length === 2 ? sorted : [sorted[0], undefined];
    bar.replaceChildren(
      h("span", null, "base ", h("code", null, fmt.sha(base.point.sha))),
      head ? h("span", null, "head ", h("code", null, fmt.sha(head.point.sha))) : h("span", { class: "muted" }, "pick a second point"),
      head
        ? h("a", { class: "compare-link", href: href("compare", { base: base.point.sha, head: head.point.sha, platform: base.platform }) }, `Compare on ${base.platform} →`)
        : "",
      h("button", { type: "button", onclick: () => { picks = []; renderPicks(bar, group); group.redrawAll(); } }, "clear"),
    );
  };

  return mountSeriesPage(root, params, {
    keys: ["platform"],
    contentClass: "bench-content",
    titleClass: "bench-name",
    choose: (b, { platform }) => ({ name: b.name, metric: null, platform: platform || null }),
    empty: () => [h("h1", null, "Benchmarks"), note("Choose a benchmark on the left, or search for one."), movedHint()],
    render,
    reset: () => (picks = []),
  });
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
      { title: "range", cell: (a) => h("code", null, fmt.range(a.commit_range)) },
      { title: "change", cls: "num", cell: (a) => h("span", { class: a.kind === "regression" ? "bad" : a.kind === "improvement" ? "good" : "warn" }, fmt.pct(a.change)), sort: (a) => a.change },
      { title: "before → after", cls: "num", cell: (a) => `${fmt.value(a.before_median, a.unit)} → ${fmt.value(a.after_median, a.unit)}` },
      { title: "kind", cell: (a) => badge(a.kind), sort: (a) => a.kind },
      { title: "status", cell: (a) => badge(a.status), sort: (a) => a.status },
      { title: "", cell: (a) => h("a", { href: href("alerts", { status: a.status, range: a.commit_range.to }) }, "triage") },
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
