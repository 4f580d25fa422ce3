// What Benchmarks and Cross-platform share: the benchmark search on the left, one benchmark's
// series (/api/v1/series) drawn on the right, loaded again when the route parameters that
// choose it change, and the metric select.
import { api, type Benchmark, type SeriesQuery, type SeriesResponse } from "../api";
import { ChartGroup } from "../chart";
import { h } from "../dom";
import type { Params } from "../query";
import { setParams } from "../router";
import { benchmarkSearch, errorBox, loading, type Page } from "../ui";

// The route parameters a page reads: always the benchmark's "name" and "metric", then its own.
export type SeriesRoute = Record<string, string> & { name: string; metric: string };

export interface SeriesPage {
  // The page's own route parameters besides name and metric (Benchmarks: "platform").
  keys?: string[];
  contentClass?: string;
  // The class of the benchmark's heading while its series loads, or when it could not.
  titleClass?: string;
  // The route parameters to set when a benchmark is chosen in the search.
  choose: (b: Benchmark, route: SeriesRoute) => Params;
  // The content while no benchmark is chosen.
  empty: () => Node[];
  // The display resolution to ask for (max_points), given the content box the charts go in;
  // undefined: every point.
  maxPoints?: (content: HTMLElement, route: SeriesRoute) => number | undefined;
  // Draws the series into `content`, its charts in `group`; `query` is what was asked for.
  render: (content: HTMLElement, s: SeriesResponse, group: ChartGroup, route: SeriesRoute, query: SeriesQuery) => void;
  // Before each load (Benchmarks drops its picked points).
  reset?: () => void;
}

export function mountSeriesPage(root: HTMLElement, params: URLSearchParams, page: SeriesPage): Page {
  const keys = ["name", "metric", ...(page.keys ?? [])];
  const routeOf = (p: URLSearchParams) => Object.fromEntries(keys.map((k) => [k, p.get(k) ?? ""])) as SeriesRoute;
  let route = routeOf(params);
  let firstLoaded: () => void = () => undefined;
  const search = benchmarkSearch({
    initial: params.get("q") ?? "",
    selected: route.name,
    onChoose: (b: Benchmark) => setParams(page.choose(b, route), false),
    after: new Promise<void>((resolve) => (firstLoaded = resolve)),
  });
  const content = h("div", { class: page.contentClass });
  root.append(h("div", { class: "split" }, search.element, content));

  let group: ChartGroup | null = null;
  let seq = 0;

  const load = async () => {
    const mine = ++seq;
    group?.destroy();
    group = null;
    page.reset?.();
    const { name, metric } = route;
    if (!name) {
      content.replaceChildren(...page.empty());
      firstLoaded();
      return;
    }
    const title = () => h("h1", { class: page.titleClass }, name);
    content.replaceChildren(title(), loading());
    // The chart first: the search's list (and the benchmark's other metrics) are asked for once
    // it is drawn.
    try {
      const query: SeriesQuery = { maxPoints: page.maxPoints?.(content, route) };
      const s = await api.series(name, metric, "", query);
      if (mine !== seq) return;
      group = new ChartGroup();
      page.render(content, s, group, route, query);
    } catch (err) {
      if (mine !== seq) return;
      content.replaceChildren(title(), errorBox(err, "series"));
    }
    firstLoaded();
  };

  void load();
  return {
    update(p: URLSearchParams) {
      const next = routeOf(p);
      if (keys.every((k) => next[k] === route[k])) return true;
      route = next;
      search.select(route.name);
      void load();
      return true;
    },
    destroy() {
      seq++;
      group?.destroy();
    },
  };
}

// The metric select: the shown metric at once, the benchmark's others when /benchmarks answers.
export function metricChoice(s: SeriesResponse): HTMLSelectElement {
  const option = (m: { name: string; unit: string }) =>
    h("option", { value: m.name, selected: m.name === s.metric || null }, `${m.name} (${m.unit})`);
  const select = h(
    "select",
    { "aria-label": "metric", onchange: (e: Event) => setParams({ metric: (e.target as HTMLSelectElement).value }) },
    option({ name: s.metric, unit: s.unit }),
  );
  api
    .benchmarks(s.benchmark)
    .then((r) => {
      const info = r.benchmarks.find((b) => b.name === s.benchmark);
      if (info && info.metrics.length > 1) select.replaceChildren(...info.metrics.map(option));
    })
    .catch(() => undefined);  // the select keeps the metric shown
  return select;
}

// The x axis: commit time (the default) or commit order, kept in the route as x=order.
export function xAxisChoice(route: SeriesRoute): HTMLSelectElement {
  const value = route.x === "order" ? "order" : "";
  return h(
    "select",
    { "aria-label": "x axis", onchange: (e: Event) => setParams({ x: (e.target as HTMLSelectElement).value || null }) },
    h("option", { value: "", selected: value === "" || null }, "by commit time"),
    h("option", { value: "order", selected: value === "order" || null }, "by commit order"),
  );
}
