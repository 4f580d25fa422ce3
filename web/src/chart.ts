// Charts: the trend chart of one benchmark on one platform (uPlot), a line chart of several
// normalised series (cross-platform, index), and a canvas sparkline.
//
// The trend chart's x axis is the commit time, or the commit order (every measured commit one
// step: commits that landed minutes apart are not squashed together); one line (with its spread band) per epoch and
// environment class, so stretches never join. Drawn on top: shaded gaps, epoch boundaries,
// environment changes, alert ranges (a drift: hatched from its first to its last commit) and
// noise changes (a marker with its label). Hover shows the point; drag selects a range to zoom,
// the wheel zooms, shift+drag pans, a double click resets; a click picks the point for compare.
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import type { Alert, Point, SeriesEntry } from "./api";
import { h } from "./dom";
import * as fmt from "./format";
import { commit } from "./links";

export const kPalette = ["#2563eb", "#db2777", "#059669", "#d97706", "#7c3aed", "#0891b2", "#dc2626", "#65a30d"];

// Commits a run may stand for before the stretch counts as a gap (as `perfledger gaps`).
export const kGapCommits = 5;

// "epoch 2 · ci", or just the environment class for runs outside any epoch.
export function stretchLabel(e: { epoch: number | null; environment: string }): string {
  return e.epoch === null ? e.environment : `epoch ${e.epoch} · ${e.environment}`;
}

function resolved(cssVar: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(cssVar).trim();
  return v || fallback;
}

// Keeps the x range of several charts together, and resizes them with their container.
export class ChartGroup {
  private charts: uPlot[] = [];
  private syncing = false;
  private observer: ResizeObserver;
  private destroyed = false;
  // Told the x range (seconds) a person zoomed or panned to, once per change, by the chart
  // they moved (not by the charts that follow it).
  onRange?: (min: number, max: number) => void;
  // Called on a double click before the charts reset their zoom to their data (the page can
  // put the overview's data back first).
  beforeReset?: () => void;

  constructor(readonly syncKey = "pl-" + Math.random().toString(36).slice(2)) {
    this.observer = new ResizeObserver((entries) => {
      for (const e of entries) {
        const chart = this.charts.find((c) => c.root.parentElement === e.target);
        if (chart) chart.setSize({ width: Math.max(200, e.contentRect.width), height: chart.height });
      }
    });
  }

  add(chart: uPlot): void {
    this.charts.push(chart);
    exposeRange(chart);
    if (chart.root.parentElement) this.observer.observe(chart.root.parentElement);
  }

  // setScale hook: mirror an x zoom to the other charts.
  onScale = (u: uPlot, key: string) => {
    if (key !== "x") return;
    exposeRange(u);
    if (this.syncing) return;
    const { min, max } = u.scales.x;
    if (min === undefined || max === undefined) return;
    this.syncing = true;
    for (const c of this.charts) if (c !== u) c.setScale("x", { min, max });
    this.syncing = false;
    this.onRange?.(min, max);
  };

  // Runs `change` (new data, a scale set by the page) without mirroring or reporting it.
  quietly(change: () => void): void {
    const was = this.syncing;
    this.syncing = true;
    try {
      change();
    } finally {
      this.syncing = was;
    }
  }

  get alive(): boolean {
    return !this.destroyed;
  }

  redrawAll(): void {
    for (const c of this.charts) c.redraw(false);
  }

  destroy(): void {
    this.destroyed = true;
    this.onRange = undefined;
    this.beforeReset = undefined;
    this.observer.disconnect();
    for (const c of this.charts) c.destroy();
    this.charts = [];
  }
}

// The visible x range as attributes of the chart's container (data-x-min, data-x-max), so the
// range can be read without the chart object (the browser tests do).
function exposeRange(u: uPlot): void {
  const box = u.root.parentElement;
  const { min, max } = u.scales.x;
  if (!box || min === undefined || max === undefined) return;
  box.dataset.xMin = String(min);
  box.dataset.xMax = String(max);
}

// Wheel zoom (around the cursor), shift+drag pan. Double click resets (uPlot's own). The wheel
// zooms out as far as `extent` (default: the chart's data).
function zoomPanPlugin(extent: (u: uPlot) => [number, number] = dataRange): uPlot.Plugin {
  return {
    hooks: {
      ready: (u: uPlot) => {
        const over = u.over;
        over.addEventListener(
          "wheel",
          (e: WheelEvent) => {
            const { min, max } = u.scales.x;
            if (min === undefined || max === undefined || !e.deltaY) return;
            e.preventDefault();
            const rect = over.getBoundingClientRect();
            const at = u.posToVal(e.clientX - rect.left, "x");
            const factor = e.deltaY < 0 ? 0.75 : 1 / 0.75;
            const [lo, hi] = extent(u);
            let nmin = at - (at - min) * factor;
            let nmax = at + (max - at) * factor;
            if (nmax - nmin >= hi - lo) [nmin, nmax] = [lo, hi];
            u.setScale("x", { min: Math.max(lo, nmin), max: Math.min(hi, nmax) });
          },
          { passive: false },
        );
        // On the chart's root in the capture phase, so uPlot's own drag-to-zoom never sees it.
        u.root.addEventListener("mousedown", (e: MouseEvent) => {
          if (!e.shiftKey || e.button !== 0 || !over.contains(e.target as Node)) return;
          e.preventDefault();
          e.stopPropagation();
          const { min, max } = u.scales.x;
          if (min === undefined || max === undefined) return;
          const startX = e.clientX;
          const perPx = (max - min) / over.clientWidth;
          const move = (m: MouseEvent) => {
            const dx = (m.clientX - startX) * perPx;
            u.setScale("x", { min: min - dx, max: max - dx });
          };
          const up = () => {
            window.removeEventListener("mousemove", move);
            window.removeEventListener("mouseup", up);
          };
          window.addEventListener("mousemove", move);
          window.addEventListener("mouseup", up);
        }, true);
      },
    },
  };
}

function dataRange(u: uPlot): [number, number] {
  const xs = u.data[0];
  if (xs.length === 0) return [0, 1];
  const lo = xs[0];
  const hi = xs[xs.length - 1];
  const pad = u.scales.x.time === false ? 1 : 3600;
  if (lo === hi) return [lo - pad, hi + pad];
  return [lo, hi];
}

// The x axis by commit order: every commit measured on any line shown gets the next whole
// number, oldest first (commit time, then the order the lines list them), and the axis names
// commits by their sha.
export interface CommitOrder {
  index: Map<string, number>;
  shas: string[];
}

export function commitOrder(lines: { points: { sha: string; commit_time: string | null }[] }[]): CommitOrder {
  const first = new Map<string, number>();
  let n = 0;
  for (const l of lines) {
    let last = -Infinity;
    for (const p of l.points) {
      const t = fmt.epochSeconds(p.commit_time);
      last = t === null ? last : t;
      const key = last + n++ * 1e-9;  // stable among equal times
      if (!first.has(p.sha) || key < first.get(p.sha)!) first.set(p.sha, key);
    }
  }
  const shas = [...first.keys()].sort((a, b) => first.get(a)! - first.get(b)!);
  return { index: new Map(shas.map((s, i) => [s, i])), shas };
}

function orderAxis(order: CommitOrder): uPlot.Axis {
  return {
    space: 64,
    stroke: resolved("--muted", "#555"),
    grid: { stroke: resolved("--grid", "#eee"), width: 1 },
    ticks: { stroke: resolved("--grid", "#eee"), width: 1 },
    incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000],
    values: (_u, splits) => splits.map((v) => (Number.isInteger(v) && order.shas[v] ? order.shas[v].slice(0, 7) : "")),
  };
}

// Axes in UTC, like every time the dashboard prints.
const utc = (ts: number) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC");

function timeAxis(): uPlot.Axis {
  return {
    space: 90,
    stroke: resolved("--muted", "#555"),
    grid: { stroke: resolved("--grid", "#eee"), width: 1 },
    ticks: { stroke: resolved("--grid", "#eee"), width: 1 },
  };
}

function valueAxis(format: (v: number) => string): uPlot.Axis {
  return {
    stroke: resolved("--muted", "#555"),
    grid: { stroke: resolved("--grid", "#eee"), width: 1 },
    ticks: { stroke: resolved("--grid", "#eee"), width: 1 },
    size: 70,
    values: (_u, splits) => splits.map((v) => (v === null ? "" : format(v))),
  };
}

// The time of a point on the x axis (seconds). Points without a commit time (a run written
// without one) are placed just after the previous point so the line stays in commit order.
function pointTimes(points: Point[], order?: CommitOrder): number[] {
  if (order) return points.map((p) => order.index.get(p.sha) ?? 0);
  const out: number[] = [];
  let last = 0;
  for (const p of points) {
    const t = fmt.epochSeconds(p.commit_time);
    last = t === null ? last + 1 : t;
    out.push(last);
  }
  return out;
}

export interface TrendOptions {
  platform: string;
  unit: string;
  entries: SeriesEntry[];
  alerts: Alert[];
  height?: number;
  group: ChartGroup;
  onPick?: (p: Point) => void;
  picked?: () => string[]; // shas marked as picked for compare
  // The x axis by commit order instead of time (the page's "x axis" choice).
  order?: CommitOrder;
}

interface Marker {
  x: number;
  kind: "epoch" | "env" | "noise";
  label: string;
}

// A trend chart whose points can be replaced (a zoomed range fetched at full resolution, then
// the overview again) while its lines, colours and zoom stay.
export interface TrendChart {
  plot: uPlot;
  // The x range (seconds) of the entries it was made with.
  extent: [number, number];
  // Draws these entries' points instead, each in the line of the entry with its epoch and
  // environment class (an entry the chart has no line for is left out); the x range stays.
  show(entries: SeriesEntry[]): void;
}

const lineKey = (e: SeriesEntry) => `${e.platform}\n${e.epoch}\n${e.environment}`;

// What a chart draws from its lines' points: the columns uPlot draws and the overlays.
interface Drawn {
  data: (number | null)[][];
  times: number[][];
  pointAt: (Point | undefined)[][];
  gaps: [number, number, string][];
  markers: Marker[];
  alertSpans: { from: number; to: number; alert: Alert }[];
  points: number;
}

// The columns and overlays of `lines` (the chart's lines, in order), over their points. An
// epoch boundary is marked where a line (after the first) starts: at `starts[i]`, the sha of
// line i's first point, when only part of it is drawn.
function drawn(lines: SeriesEntry[], alerts: Alert[], platform: string, starts?: string[], order?: CommitOrder): Drawn {
  const times = lines.map((e) => pointTimes(e.points, order));
  const xs = [...new Set(times.flat())].sort((a, b) => a - b);
  const xIndex = new Map(xs.map((x, i) => [x, i]));

  // Per line: median, upper and lower spread columns, aligned on xs.
  const data: (number | null)[][] = [xs];
  const pointAt: (Point | undefined)[][] = [];
  lines.forEach((e, ei) => {
    const med: (number | null)[] = new Array(xs.length).fill(null);
    const hi: (number | null)[] = new Array(xs.length).fill(null);
    const lo: (number | null)[] = new Array(xs.length).fill(null);
    const at: (Point | undefined)[] = new Array(xs.length).fill(undefined);
    e.points.forEach((p, pi) => {
      const i = xIndex.get(times[ei][pi])!;
      if (at[i]) return;  // two points of one stretch at one commit time: keep the first
      at[i] = p;
      med[i] = p.median;
      hi[i] = p.median * (1 + p.spread);
      lo[i] = p.median * (1 - p.spread);
    });
    data.push(med, hi, lo);
    pointAt.push(at);
  });

  // Gaps: a point standing for more than kGapCommits commits, or whose range starts at no earlier
  // point of its stretch (commits that no run represents). A bisect run inside an earlier range
  // starts at an earlier point: no gap. A downsampled line (max_points) says so of the points
  // left out before each point it sends (`elided`), as the full line would have shown it.
  const gaps: [number, number, string][] = [];
  const markers: Marker[] = [];
  lines.forEach((e, ei) => {
    const seen = new Set<string>();
    e.points.forEach((p, pi) => {
      seen.add(p.sha);
      const x = times[ei][pi];
      if (pi === 0) {
        if (ei > 0 && (!starts || starts[ei] === p.sha)) markers.push({ x, kind: "epoch", label: stretchLabel(e) });
        return;
      }
      const count = p.elided ? p.elided.max_range_count : p.commit_range.count;
      const broken = p.elided
        ? p.elided.unrepresented
        : p.commit_range.from !== null && !seen.has(p.commit_range.from);
      if (broken || (count !== null && count > kGapCommits)) {
        gaps.push([times[ei][pi - 1], x, broken ? "commits not represented" : `${count} commits, one run`]);
      }
      if (p.fingerprint_changed) markers.push({ x, kind: "env", label: "environment changed" });
    });
  });

  // Alert ranges, located by the points at their ends; a drift's from its first commit (the
  // stretch that moved), a noise change's as a marker where its range ends.
  const shaX = new Map<string, number>();
  lines.forEach((e, ei) => e.points.forEach((p, pi) => shaX.set(p.sha, times[ei][pi])));
  const alertSpans = alerts
    .filter((a) => a.platform === platform)
    .map((a) => {
      const to = shaX.get(a.commit_range.to);
      if (to === undefined) return null;
      const before = a.commit_range.from ? shaX.get(a.commit_range.from) : undefined;
      if (a.kind === "noise") {
        markers.push({ x: to, kind: "noise", label: `noise ${fmt.alertChange(a)}` });
        return null;
      }
      const from = a.kind === "drift" ? (a.first ? shaX.get(a.first) : undefined) ?? before ?? to : before ?? to;
      return { from, to, alert: a };
    })
    .filter((s): s is { from: number; to: number; alert: Alert } => s !== null);

  const points = lines.reduce((n, e) => n + e.points.length, 0);
  return { data, times, pointAt, gaps, markers, alertSpans, points };
}

// What the chart draws over its lines, as attributes of its container (the browser tests read
// them): data-drifts "from-to ..." (x values of each drift's shaded range) and data-noise "x
// ..." (x values of each noise marker).
function exposeOverlays(parent: HTMLElement, d: Drawn): void {
  parent.dataset.drifts = d.alertSpans.filter((s) => s.alert.kind === "drift").map((s) => `${s.from}-${s.to}`).join(" ");
  parent.dataset.noise = d.markers.filter((m) => m.kind === "noise").map((m) => String(m.x)).join(" ");
}

// One trend chart in `parent` (its uPlot owned by opts.group).
export function trendChart(parent: HTMLElement, opts: TrendOptions): TrendChart {
  const lines = opts.entries.filter((e) => e.points.length > 0);
  let d = drawn(lines, opts.alerts, opts.platform, undefined, opts.order);
  const xs0 = d.data[0] as number[];
  const pad = opts.order ? 1 : 3600;
  const extent: [number, number] =
    xs0.length === 0 ? [0, 1] : xs0[0] === xs0[xs0.length - 1] ? [xs0[0] - pad, xs0[0] + pad] : [xs0[0], xs0[xs0.length - 1]];

  const series: uPlot.Series[] = [{}];
  const bands: uPlot.Band[] = [];
  lines.forEach((e, ei) => {
    const color = kPalette[ei % kPalette.length];
    const label = stretchLabel(e);
    const base = 1 + 3 * ei;
    series.push(
      { label, stroke: color, width: 2, spanGaps: true, points: { show: true, size: 5, fill: color } },
      { label: label + " upper", stroke: "transparent", width: 0, spanGaps: true, points: { show: false } },
      { label: label + " lower", stroke: "transparent", width: 0, spanGaps: true, points: { show: false } },
    );
    bands.push({ series: [base + 1, base + 2], fill: color + "26" });
  });

  const tooltip = h("div", { class: "tooltip", hidden: true });
  const format = (v: number) => fmt.value(v, opts.unit);

  const draw = (u: uPlot) => {
    const ctx = u.ctx;
    const { top, height } = u.bbox;
    const px = (x: number) => Math.round(u.valToPos(x, "x", true));
    const dpr = window.devicePixelRatio || 1;
    ctx.save();
    ctx.beginPath();
    ctx.rect(u.bbox.left, top, u.bbox.width, height);
    ctx.clip();
    ctx.fillStyle = resolved("--gap", "rgba(120,120,120,0.16)");
    for (const [a, b] of d.gaps) ctx.fillRect(px(a), top, Math.max(1, px(b) - px(a)), height);
    for (const s of d.alertSpans) {
      const cls = fmt.alertClass(s.alert);
      const color = cls === "bad" ? "220,38,38" : cls === "good" ? "5,150,105" : "217,119,6";
      const alpha = s.alert.status === "open" ? 0.18 : 0.07;
      const x0 = px(s.from);
      const w = Math.max(3 * dpr, px(s.to) - x0);
      ctx.fillStyle = `rgba(${color},${alpha})`;
      ctx.fillRect(x0, top, w, height);
      if (s.alert.kind === "drift") {
        // Hatched over its stretch, with what it is.
        ctx.save();
        ctx.beginPath();
        ctx.rect(x0, top, w, height);
        ctx.clip();
        ctx.strokeStyle = `rgba(${color},${2 * alpha})`;
        ctx.lineWidth = dpr;
        ctx.beginPath();
        for (let x = x0 - height; x < x0 + w; x += 8 * dpr) {
          ctx.moveTo(x, top + height);
          ctx.lineTo(x + height, top);
        }
        ctx.stroke();
        ctx.fillStyle = `rgb(${color})`;
        ctx.font = `${11 * dpr}px system-ui, sans-serif`;
        ctx.textAlign = "left";  // uPlot's axes leave it as they drew their labels
        ctx.fillText(`drift ${fmt.alertChange(s.alert)}`, x0 + 4 * dpr, top + 22 * dpr);
        ctx.restore();
      }
      ctx.fillStyle = `rgb(${color})`;
      const mx = x0 + w / 2;
      ctx.beginPath();
      ctx.moveTo(mx - 6 * dpr, top);
      ctx.lineTo(mx + 6 * dpr, top);
      ctx.lineTo(mx, top + 9 * dpr);
      ctx.closePath();
      ctx.fill();
    }
    ctx.lineWidth = dpr;
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    for (const m of d.markers) {
      const x = px(m.x);
      ctx.strokeStyle = m.kind === "epoch" ? "#7c3aed" : m.kind === "noise" ? "#0891b2" : "#d97706";
      ctx.setLineDash(m.kind === "epoch" ? [6 * dpr, 3 * dpr] : m.kind === "noise" ? [] : [2 * dpr, 3 * dpr]);
      ctx.beginPath();
      ctx.moveTo(x, top);
      ctx.lineTo(x, top + height);
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fillText(m.label, x + 4 * dpr, top + height - 6 * dpr);
    }
    ctx.setLineDash([]);
    const picked = opts.picked?.() ?? [];
    ctx.strokeStyle = resolved("--fg", "#111");
    ctx.lineWidth = 2 * dpr;
    d.pointAt.forEach((at) =>
      at.forEach((p, i) => {
        if (!p || !picked.includes(p.sha)) return;
        const x = u.valToPos(u.data[0][i], "x", true);
        const y = u.valToPos(p.median, "y", true);
        ctx.beginPath();
        ctx.arc(x, y, 7 * dpr, 0, 2 * Math.PI);
        ctx.stroke();
      }),
    );
    ctx.restore();
  };

  // The point under the cursor: at its x, the entry whose median is nearest the cursor's y.
  const hovered = (u: uPlot): Point | undefined => {
    const i = u.cursor.idx;
    if (i === null || i === undefined) return undefined;
    const top = u.cursor.top ?? 0;
    let best: Point | undefined;
    let bestDist = Infinity;
    for (const at of d.pointAt) {
      const p = at[i];
      if (!p) continue;
      const dist = Math.abs(u.valToPos(p.median, "y") - top);
      if (dist < bestDist) [best, bestDist] = [p, dist];
    }
    return best;
  };

  const showTooltip = (u: uPlot) => {
    const p = hovered(u);
    const left = u.cursor.left ?? -1;
    if (!p || left < 0) {
      tooltip.hidden = true;
      return;
    }
    const r = p.commit_range;
    tooltip.replaceChildren(
      h("div", { class: "tt-head" }, commit(p.sha), " ", p.subject ?? ""),
      h("div", null, fmt.time(p.commit_time), " · ", p.reason),
      h("div", null, h("b", null, format(p.median)), ` ± ${fmt.pct(p.spread).replace("+", "")}`,
        ` · ${p.samples} samples` + (p.runs > 1 ? ` in ${p.runs} runs` : "")),
      h("div", null, "stands for ", r.count === null ? "? commits" : r.count === 1 ? "1 commit" : `${r.count} commits`,
        ": ", fmt.range(r)),
      p.fingerprint_changed ? h("div", { class: "warn" }, "environment changed here") : "",
      p.elided && p.elided.points > 0 ? h("div", { class: "muted" }, `${p.elided.points} more before it: zoom in to see them`) : "",
      opts.onPick ? h("div", { class: "muted" }, "click: pick for compare (and a link to the commit)") : "",
    );
    tooltip.hidden = false;
    const w = u.over.clientWidth;
    const x = u.valToPos(u.data[0][u.cursor.idx!], "x");
    tooltip.style.left = `${Math.min(Math.max(0, x + 12), Math.max(0, w - 280))}px`;
    tooltip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 10)}px`;
  };

  const width = Math.max(200, parent.clientWidth || 800);
  const u = new uPlot(
    {
      width,
      height: opts.height ?? 260,
      series,
      bands,
      scales: { x: { time: !opts.order } },
      tzDate: utc,
      axes: [opts.order ? orderAxis(opts.order) : timeAxis(), valueAxis(format)],
      legend: { show: false },
      cursor: {
        sync: { key: opts.group.syncKey },
        drag: { x: true, y: false, setScale: true },
        points: { size: 8 },
        bind: {
          // The page may put its overview back before the zoom resets to the data.
          dblclick: (_u, targ, handler) => (e: MouseEvent) => {
            if (e.button === 0 && e.target === targ) {
              opts.group.beforeReset?.();
              handler(e);
            }
            return null;
          },
        },
      },
      hooks: {
        draw: [draw],
        setCursor: [showTooltip],
        setScale: [opts.group.onScale],
      },
      plugins: [zoomPanPlugin(() => extent)],
    },
    d.data as uPlot.AlignedData,
    parent,
  );
  parent.dataset.points = String(d.points);
  parent.dataset.xAxis = opts.order ? "order" : "time";
  exposeOverlays(parent, d);
  u.over.appendChild(tooltip);
  u.over.addEventListener("mouseleave", () => (tooltip.hidden = true));
  if (opts.onPick) {
    let downX = 0;
    u.over.addEventListener("mousedown", (e) => (downX = e.clientX));
    u.over.addEventListener("click", (e) => {
      if (Math.abs(e.clientX - downX) > 3 || e.shiftKey) return;  // a drag (zoom or pan)
      const p = hovered(u);
      if (p) opts.onPick!(p);
    });
  }
  opts.group.add(u);

  const show = (entries: SeriesEntry[]) => {
    const byKey = new Map(entries.map((e) => [lineKey(e), e]));
    const next = drawn(
      lines.map((l) => ({ ...l, points: byKey.get(lineKey(l))?.points ?? [] })),
      opts.alerts,
      opts.platform,
      lines.map((l) => l.points[0].sha),
      opts.order,
    );
    if (next.points === 0) return;  // nothing to draw there: what is shown stays
    const { min, max } = u.scales.x;
    d = next;
    parent.dataset.points = String(d.points);
    exposeOverlays(parent, d);
    opts.group.quietly(() =>
      u.batch(() => {
        u.setData(d.data as uPlot.AlignedData, false);
        if (min !== undefined && max !== undefined) u.setScale("x", { min, max });
      }),
    );
  };
  return { plot: u, extent, show };
}

export interface Line {
  label: string;
  color: string;
  points: { x: number; y: number; title: string }[];
}

// Several lines on one time axis (cross-platform index, headline index), hover shows each.
export function lineChart(
  parent: HTMLElement,
  lines: Line[],
  group: ChartGroup,
  yFormat: (v: number) => string = (v) => v.toFixed(3),
  height = 300,
  fromZero = false,  // a count: the y axis starts at 0
  order?: CommitOrder,  // the points' x are commit order (commitOrder), not times
): uPlot {
  const xs = [...new Set(lines.flatMap((l) => l.points.map((p) => p.x)))].sort((a, b) => a - b);
  const xIndex = new Map(xs.map((x, i) => [x, i]));
  const data: (number | null)[][] = [xs];
  const titles: (string | undefined)[][] = [];
  const series: uPlot.Series[] = [{}];
  for (const l of lines) {
    const col: (number | null)[] = new Array(xs.length).fill(null);
    const t: (string | undefined)[] = new Array(xs.length).fill(undefined);
    for (const p of l.points) {
      const i = xIndex.get(p.x)!;
      col[i] = p.y;
      t[i] = p.title;
    }
    data.push(col);
    titles.push(t);
    series.push({ label: l.label, stroke: l.color, width: 2, spanGaps: true, points: { show: true, size: 4, fill: l.color } });
  }
  const tooltip = h("div", { class: "tooltip", hidden: true });
  const u = new uPlot(
    {
      width: Math.max(200, parent.clientWidth || 800),
      height,
      series,
      scales: {
        x: { time: !order },
        ...(fromZero ? { y: { range: (_u: uPlot, _min: number, max: number): uPlot.Range.MinMax => [0, Math.max(1, Math.ceil(max * 1.15))] } } : {}),
      },
      tzDate: utc,
      axes: [order ? orderAxis(order) : timeAxis(), valueAxis(yFormat)],
      legend: { show: true, live: false },
      cursor: { drag: { x: true, y: false, setScale: true }, sync: { key: group.syncKey } },
      hooks: {
        setScale: [group.onScale],
        setCursor: [
          (u: uPlot) => {
            const i = u.cursor.idx;
            if (i === null || i === undefined || (u.cursor.left ?? -1) < 0) {
              tooltip.hidden = true;
              return;
            }
            const rows = lines
              .map((l, li) => ({ l, y: data[li + 1][i], t: titles[li][i] }))
              .filter((r) => r.y !== null);
            if (rows.length === 0) {
              tooltip.hidden = true;
              return;
            }
            tooltip.replaceChildren(
              ...rows.map((r) =>
                h("div", null, h("span", { class: "swatch", style: `background:${r.l.color}` }), ` ${r.l.label}: `,
                  h("b", null, yFormat(r.y as number)), r.t ? ` · ${r.t}` : ""),
              ),
            );
            tooltip.hidden = false;
            const x = u.valToPos(xs[i], "x");
            tooltip.style.left = `${Math.min(x + 12, Math.max(0, u.over.clientWidth - 300))}px`;
            tooltip.style.top = `${Math.max(0, (u.cursor.top ?? 0) - 10)}px`;
          },
        ],
      },
      plugins: [zoomPanPlugin()],
    },
    data as uPlot.AlignedData,
    parent,
  );
  u.over.appendChild(tooltip);
  u.over.addEventListener("mouseleave", () => (tooltip.hidden = true));
  group.add(u);
  return u;
}

// A small line on a canvas; `lowerIsBetter` colours the last move.
export function sparkline(values: number[], lowerIsBetter = true, width = 160, height = 36): HTMLCanvasElement {
  const canvas = h("canvas", { class: "sparkline", width: width * 2, height: height * 2 });
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext("2d");
  if (!ctx || values.length === 0) return canvas;
  ctx.scale(2, 2);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const span = hi - lo || Math.abs(hi) * 0.01 || 1;
  const x = (i: number) => (values.length === 1 ? width / 2 : 2 + (i * (width - 4)) / (values.length - 1));
  const y = (v: number) => height - 3 - ((v - lo) / span) * (height - 6);
  ctx.strokeStyle = resolved("--grid", "#ddd");
  ctx.beginPath();
  ctx.moveTo(0, y(values[0]));
  ctx.lineTo(width, y(values[0]));
  ctx.stroke();
  const last = values[values.length - 1];
  const worse = lowerIsBetter ? last > values[0] : last < values[0];
  ctx.strokeStyle = Math.abs(last - values[0]) / Math.abs(values[0] || 1) < 0.01 ? "#2563eb" : worse ? "#dc2626" : "#059669";
  ctx.lineWidth = 1.5;
  ctx.beginPath();
  values.forEach((v, i) => (i === 0 ? ctx.moveTo(x(i), y(v)) : ctx.lineTo(x(i), y(v))));
  ctx.stroke();
  ctx.fillStyle = ctx.strokeStyle;
  ctx.beginPath();
  ctx.arc(x(values.length - 1), y(last), 2.5, 0, 2 * Math.PI);
  ctx.fill();
  return canvas;
}
