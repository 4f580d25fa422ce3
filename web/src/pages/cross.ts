// Cross-platform: one benchmark on every platform, each line divided by its own value at a
// reference commit, so machines of different speed read together (1.00 = the reference; lower
// is faster for a lower-is-better metric). Only the shape is compared across machines: alerts
// and verdicts stay within one platform and epoch (Benchmarks, Compare).
import type { SeriesEntry, SeriesResponse } from "../api";
import { type ChartGroup, commitOrder, kPalette, lineChart, stretchLabel, type Line } from "../chart";
import { h } from "../dom";
import * as fmt from "../format";
import { commit } from "../links";
import { href } from "../router";
import { note, sortableTable, type Page } from "../ui";
import { metricChoice, mountSeriesPage, type SeriesRoute, xAxisChoice } from "./series";

interface Normalised {
  entry: SeriesEntry;
  label: string;
  reference: { sha: string; median: number };
}

// The reference commit: the earliest one measured on every platform shown, if there is one;
// else each stretch's own first point.
function normalise(s: SeriesResponse): { lines: Normalised[]; common: string | null } {
  const entries = s.series.filter((e) => e.points.length > 0);
  const platforms = [...new Set(entries.map((e) => e.platform))];
  const shasOf = (p: string) => new Set(entries.filter((e) => e.platform === p).flatMap((e) => e.points.map((pt) => pt.sha)));
  const sets = platforms.map(shasOf);
  let common: string | null = null;
  if (platforms.length > 1) {
    const ordered = entries.flatMap((e) => e.points).sort((a, b) => (a.commit_time ?? "").localeCompare(b.commit_time ?? ""));
    common = ordered.find((pt) => sets.every((set) => set.has(pt.sha)))?.sha ?? null;
  }
  return {
    common,
    lines: entries.map((e) => {
      const ref = (common && e.points.find((pt) => pt.sha === common)) || e.points[0];
      const multi = s.series.filter((x) => x.platform === e.platform).length > 1;
      return {
        entry: e,
        label: multi ? `${e.platform} (${stretchLabel(e)})` : e.platform,
        reference: { sha: ref.sha, median: ref.median },
      };
    }),
  };
}

export function mountCross(root: HTMLElement, params: URLSearchParams): Page {
  return mountSeriesPage(root, params, {
    keys: ["x"],
    choose: (b) => ({ name: b.name, metric: null }),
    empty: () => [h("h1", null, "Cross-platform"), note("Choose a benchmark: its trend on every platform, normalised so they read together.")],
    render,
  });
}

function render(content: HTMLElement, s: SeriesResponse, group: ChartGroup, route: SeriesRoute): void {
  const { lines, common } = normalise(s);
  const order = route.x === "order" ? commitOrder(lines.map((l) => l.entry)) : undefined;
  const metricSelect = metricChoice(s);
  const box = h("div", { class: "chart" });
  content.replaceChildren(
    h("h1", null, s.benchmark),
    h("div", { class: "toolbar" }, h("label", null, "metric ", metricSelect), h("label", null, "x axis ", xAxisChoice(route)),
      h("a", { href: href("benchmark", { name: s.benchmark, metric: s.metric }) }, "per-platform trends and alerts →")),
    note(
      common
        ? `Each line is divided by its own median at ${fmt.sha(common)}, the earliest commit measured on every platform: 1.00 there; ${s.direction} is better.`
        : `Each line is divided by its own first median: 1.00 there; ${s.direction} is better. No commit was measured on every platform.`,
    ),
    box,
    note("An index across machines shows shape, not verdicts: alerts are only raised within one platform and epoch."),
  );
  if (lines.length === 0) {
    box.replaceChildren(note("No points for this benchmark and metric."));
    return;
  }
  const chartLines: Line[] = lines.map((l, i) => ({
    label: l.label,
    color: kPalette[i % kPalette.length],
    points: l.entry.points
      .filter((pt) => order || pt.commit_time)
      .map((pt) => ({
        x: order ? order.index.get(pt.sha)! : fmt.epochSeconds(pt.commit_time)!,
        y: pt.median / l.reference.median,
        title: `${fmt.sha(pt.sha)} ${fmt.value(pt.median, s.unit)}`,
      })),
  }));
  lineChart(box, chartLines, group, (v) => v.toFixed(3), 300, false, order);
  box.dataset.xAxis = order ? "order" : "time";
  content.append(
    sortableTable(lines, [
      { title: "platform", cell: (l) => l.label, sort: (l) => l.label },
      { title: "reference", cell: (l) => h("span", null, commit(l.reference.sha), " ", fmt.value(l.reference.median, s.unit)) },
      { title: "latest", cls: "num", cell: (l) => fmt.value(l.entry.points[l.entry.points.length - 1].median, s.unit) },
      {
        title: "index now",
        cls: "num",
        cell: (l) => (l.entry.points[l.entry.points.length - 1].median / l.reference.median).toFixed(3),
        sort: (l) => l.entry.points[l.entry.points.length - 1].median / l.reference.median,
      },
      { title: "points", cls: "num", cell: (l) => String(l.entry.points.length), sort: (l) => l.entry.points.length },
    ]),
  );
}
