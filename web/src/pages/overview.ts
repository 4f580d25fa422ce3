// Overview: per platform the latest run, coverage, gaps and stalls, the headline index; then
// what moved (open alert groups and the largest open changes). Everything else is one click on.
import {
  ApiError,
  api,
  type Alert,
  type AlertGroup,
  type CoverageResponse,
  type GapsResponse,
  type IndexSeries,
  type Platform,
} from "../api";
import { sparkline } from "../chart";
import { h } from "../dom";
import * as fmt from "../format";
import { commit, range } from "../links";
import { href } from "../router";
import { badge, errorBox, loading, note, type Page } from "../ui";

// Settles every request: one failing endpoint leaves the rest of the page readable.
async function settle<T>(p: Promise<T>): Promise<T | Error> {
  try {
    return await p;
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

// Per platform, the index to show: its newest epoch, preferring a time metric; null if none.
function headlineIndex(indexes: IndexSeries[], platform: string): IndexSeries | null {
  const pref = ["wall_time", "real_time", "cpu_time", "time"];
  const mine = indexes.filter((s) => s.platform === platform && s.points.length > 0);
  mine.sort((a, b) => {
    const e = (b.epoch ?? -1) - (a.epoch ?? -1);
    if (e !== 0) return e;
    const pa = pref.indexOf(a.metric);
    const pb = pref.indexOf(b.metric);
    return (pa < 0 ? 99 : pa) - (pb < 0 ? 99 : pb);
  });
  return mine[0] ?? null;
}

// `undefined` data is still loading (shown as `pending`); `index` null: none for this platform.
function platformCard(
  p: Platform,
  coverage: CoverageResponse | Error | undefined,
  gaps: GapsResponse | Error | undefined,
  alerts: Alert[] | undefined,
  index: IndexSeries | undefined | null,
  pending: Node,
): HTMLElement {
  const cov = coverage === undefined || coverage instanceof Error ? undefined : coverage.platforms.find((c) => c.platform === p.name);
  const gap = gaps === undefined || gaps instanceof Error ? undefined : gaps.platforms.find((g) => g.platform === p.name);
  const wait = () => pending.cloneNode(true);
  const open = (alerts ?? []).filter((a) => a.platform === p.name);
  const regressions = open.filter((a) => a.kind === "regression").length;
  const run = p.latest_run;
  const last = index ? index.points[index.points.length - 1] : undefined;
  return h(
    "div",
    { class: "card", "data-platform": p.name },
    h("h3", null, h("span", null, p.name), gap ? (gap.stalled ? badge("stalled") : badge("ok")) : null),
    h(
      "dl",
      null,
      h("dt", null, "latest run"),
      h(
        "dd",
        null,
        run
          ? [commit(run.sha), " ", badge(run.status), h("div", { class: "muted small" }, `${fmt.time(run.started_at)} (${fmt.ago(run.started_at)})`)]
          : "none",
      ),
      h("dt", null, "runs"),
      h("dd", null, String(p.runs), p.epochs.length ? h("span", { class: "muted small" }, ` · epoch ${p.epochs.map((e) => e.number).join(", ")}`) : null),
      h("dt", null, "coverage"),
      h(
        "dd",
        null,
        cov
          ? [h("span", { title: "commits with a run of their own" }, `${fmt.share(cov.coverage_measured)} measured`), " · ",
             h("span", { title: "commits some run's commit_range stands for" }, `${fmt.share(cov.coverage_represented)} represented`),
             h("div", { class: "muted small" }, `${cov.commits} commits: ${cov.skipped} skipped, ${cov.pending} pending, ${cov.unaccounted} unaccounted`)]
          : coverage === undefined ? wait() : h("span", { class: "muted" }, "no plan recorded"),
      ),
      h("dt", null, "gaps"),
      h(
        "dd",
        null,
        gap
          ? [`${gap.commits_since} commit${gap.commits_since === 1 ? "" : "s"} since the last complete run`,
             gap.age_seconds > 0 ? h("span", { class: "muted" }, ` (${fmt.duration(gap.age_seconds)})`) : null,
             gap.missing_benchmarks.length ? h("div", { class: "warn small" }, `${gap.missing_benchmarks.length} benchmark(s) missing`) : null,
             gap.stalled && gap.why ? h("div", { class: "bad small" }, gap.why) : null]
          : gaps === undefined ? wait() : "–",
      ),
      h("dt", null, "open alerts"),
      h(
        "dd",
        null,
        open.length
          ? h("a", { href: href("alerts", { platform: p.name }) }, `${open.length} (${regressions} regression${regressions === 1 ? "" : "s"})`)
          : alerts === undefined ? wait() : "none",
      ),
      h("dt", null, "index"),
      h(
        "dd",
        null,
        index && last
          ? [
              h("div", { title: `headline index, ${index.metric}: geometric mean of median / median at ${fmt.sha(index.base.sha)}; lower is faster` },
                h("span", { class: "kpi" }, last.index.toFixed(3)), " ",
                h("span", { class: "muted small" }, index.epoch === null ? index.metric : `${index.metric}, epoch ${index.epoch}`)),
              sparkline(index.points.map((pt) => pt.index), index.direction !== "higher"),
            ]
          : index === undefined ? wait() : h("span", { class: "muted" }, "no complete run yet"),
      ),
    ),
  );
}

function moved(alerts: Alert[], groups: AlertGroup[]): HTMLElement {
  if (alerts.length === 0) return note("Nothing moved: no open alerts.");
  const byId = new Map(alerts.map((a) => [a.id, a]));
  const top = [...alerts].sort((a, b) => Math.abs(b.change) - Math.abs(a.change));
  const limit = 15;
  const list = h("ul", { class: "moved" });
  const renderList = (n: number) =>
    list.replaceChildren(
      ...top.slice(0, n).map((a) =>
        h(
          "li",
          null,
          badge(a.kind), " ",
          h("a", { href: href("benchmark", { name: a.benchmark, metric: a.metric }) }, a.benchmark),
          ` ${a.metric} on ${a.platform}: `,
          h("b", { class: fmt.alertClass(a) }, fmt.alertChange(a)),
          h("span", { class: "muted small" }, ` ${fmt.value(a.before_median, a.unit)} → ${fmt.value(a.after_median, a.unit)} in `, range(a.commit_range)),
        ),
      ),
      top.length > n ? h("li", null, h("button", { onclick: () => renderList(top.length) }, `show all ${top.length}`)) : "",
    );
  renderList(limit);
  return h(
    "div",
    null,
    h("h3", null, `Open alert groups (${groups.length})`),
    h(
      "ul",
      { class: "moved" },
      groups.map((g) => {
        const names = [...new Set(g.alert_ids.map((id) => byId.get(id)?.benchmark).filter((n): n is string => !!n))];
        return h(
          "li",
          null,
          h("a", { href: href("alerts", { status: "open", range: g.commit_range.to }) }, fmt.range(g.commit_range)),
          " ", commit(g.commit_range.to, "commit"),
          g.subject ? [" ", h("span", { class: "subject" }, `“${g.subject}”`)] : null,
          ": ", g.summary,
          names.length ? h("span", { class: "muted small" }, ` (${names.slice(0, 3).join(", ")}${names.length > 3 ? ", …" : ""})`) : null,
        );
      }),
    ),
    h("h3", null, "Largest open changes"),
    list,
  );
}

export function mountOverview(root: HTMLElement): Page {
  const platformsSlot = h("div", null, loading());
  const movedSlot = h("div", null, loading());
  root.append(
    h("h1", null, "Overview"),
    h("h2", null, "What moved"),
    movedSlot,
    h("h2", null, "Platforms"),
    platformsSlot,
  );
  // Each answer is drawn as it comes: a slow endpoint (the index over a large store) leaves the
  // rest readable. `undefined` is "still loading".
  const state: {
    platforms?: { platforms: Platform[] } | Error;
    coverage?: CoverageResponse | Error;
    gaps?: GapsResponse | Error;
    alerts?: { alerts: Alert[]; groups: AlertGroup[] } | Error;
    index?: { indexes: IndexSeries[] } | Error;
  } = {};
  let alive = true;
  const pending = h("span", { class: "muted small pending" }, "loading…");

  const render = () => {
    const { platforms, coverage, gaps, alerts, index } = state;
    if (alerts !== undefined) movedSlot.replaceChildren(alerts instanceof Error ? errorBox(alerts, "alerts") : moved(alerts.alerts, alerts.groups));
    if (platforms === undefined) return;
    if (platforms instanceof Error) {
      platformsSlot.replaceChildren(errorBox(platforms, "platforms"));
      return;
    }
    const notes: Node[] = [];
    // No plan recorded yet is normal for a new store: say so once instead of an error per card.
    if (coverage instanceof ApiError && coverage.status === 404) {
      notes.push(note("Coverage needs a recorded plan (perfledger plan --record); none yet."));
    } else if (coverage instanceof Error) {
      notes.push(errorBox(coverage, "coverage"));
    } else if (coverage) {
      notes.push(note(h("span", null, `Branch ${coverage.branch} at `, commit(coverage.head), ". ", h("a", { href: href("coverage") }, "Coverage details"))));
    }
    if (gaps instanceof Error && !(gaps instanceof ApiError && gaps.status === 404)) notes.push(errorBox(gaps, "gaps"));
    if (index instanceof Error) notes.push(errorBox(index, "index"));
    if (platforms.platforms.length === 0) {
      platformsSlot.replaceChildren(...notes, note("No runs stored yet. Ingest some with perfledger ingest or POST /api/v1/projects/NAME/runs."));
      return;
    }
    const openAlerts = alerts === undefined ? undefined : alerts instanceof Error ? [] : alerts.alerts;
    const indexes = index === undefined || index instanceof Error ? [] : index.indexes;
    platformsSlot.replaceChildren(
      ...notes,
      h("div", { class: "cards" },
        platforms.platforms.map((p) =>
          platformCard(p, coverage, gaps, openAlerts, index === undefined ? undefined : headlineIndex(indexes, p.name), pending))),
    );
  };
  const load = <K extends keyof typeof state>(key: K, p: Promise<NonNullable<(typeof state)[K]>>) =>
    settle(p).then((v) => {
      if (!alive) return;
      state[key] = v as (typeof state)[K];
      render();
    });
  void load("platforms", api.platforms());
  void load("alerts", api.alerts("open"));
  void load("coverage", api.coverage());
  void load("gaps", api.gaps());
  // The sparklines are 160 px wide: twice that many points per line look the same as all of
  // them (the server keeps each bucket's extremes), and a year of history stays a small answer.
  void load("index", api.index("", "", 320));
  return { destroy: () => (alive = false) };
}
