// Compare: two commits on one platform, every benchmark and metric, with the change, its
// interval and the verdict (/api/v1/compare, the same statistics as `perfledger compare`).
// The table sorts by any column and filters to regressions. A published dashboard lists the
// comparisons it holds (alert ranges, each platform's latest two commits) below the form.
// Opened without two commits, it offers each platform's newest two measured commits (the
// platform asked for first), the pair a published dashboard holds too.
import { api, compareRows, isStatic, publishedComparisons, type CompareResponse, type CompareRow } from "../api";
import { h } from "../dom";
import * as fmt from "../format";
import { commit } from "../links";
import { href, setParams } from "../router";
import { badge, errorBox, fill, loading, note, sortableTable, type Page } from "../ui";

const kVerdictRank: Record<string, number> = { regression: 0, improvement: 1, inconclusive: 2, unchanged: 3 };

export function mountCompare(root: HTMLElement, params: URLSearchParams): Page {
  const base = h("input", { name: "base", placeholder: "base sha (≥ 4 hex digits)", list: "recent-shas", value: params.get("base") ?? "", size: 16 });
  const head = h("input", { name: "head", placeholder: "head sha", list: "recent-shas", value: params.get("head") ?? "", size: 16 });
  const platform = h("select", { name: "platform", "aria-label": "platform" }, h("option", { value: "" }, "the platform both have"));
  const metric = h("input", { name: "metric", placeholder: "metric (all)", value: params.get("metric") ?? "", size: 12 });
  const recent = h("datalist", { id: "recent-shas" });
  const form = h(
    "form",
    { class: "toolbar" },
    h("label", null, "base ", base),
    h("label", null, "head ", head),
    h("label", null, "on ", platform),
    h("label", null, "metric ", metric),
    h("button", { type: "submit", class: "primary" }, "Compare"),
    h("button", { type: "button", title: "swap base and head", onclick: () => ([base.value, head.value] = [head.value, base.value]) }, "⇄"),
    recent,
  );
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    setParams({ base: base.value.trim(), head: head.value.trim(), platform: platform.value || null, metric: metric.value.trim() || null }, false);
  });
  const result = h("div");
  root.append(h("h1", null, "Compare"), form, result);
  if (isStatic) root.append(publishedList());

  // Platforms for the select, recent runs for the sha suggestions; neither blocks the result.
  void api.platforms().then(({ platforms }) => {
    const want = params.get("platform") ?? "";
    platform.append(...platforms.map((p) => h("option", { value: p.name, selected: p.name === want || null }, p.name)));
  }).catch(() => undefined);
  void api.runs(100).then(({ runs }) => {
    const seen = new Set<string>();
    recent.append(
      ...runs
        .filter((r) => !seen.has(r.sha) && seen.add(r.sha))
        .map((r) => h("option", { value: r.sha.slice(0, 12) }, `${r.platform} · ${fmt.time(r.commit_time ?? r.started_at)}`)),
    );
  }).catch(() => undefined);

  let current = "";
  const load = (p: URLSearchParams) => {
    const key = ["base", "head", "platform", "metric"].map((k) => p.get(k) ?? "").join("\n");
    const only = p.get("only") ?? "";
    if (key === current) return;
    current = key;
    const b = p.get("base") ?? "";
    const hd = p.get("head") ?? "";
    if (!b || !hd) {
      result.replaceChildren(note("Enter two commits, or pick two points on a benchmark's chart."), newestPairs(p.get("platform") ?? "", base, head));
      return;
    }
    void fill(result, async () => {
      const c = await api.compare(b, hd, p.get("platform") ?? "", p.get("metric") ?? "");
      return renderResult(c, only);
    }, "compare");
  };
  load(params);
  return {
    update(p) {
      base.value = p.get("base") ?? "";
      head.value = p.get("head") ?? "";
      metric.value = p.get("metric") ?? "";
      load(p);
      return true;
    },
  };
}

// Each platform's newest two measured commits (distinct shas of its newest runs), as links to
// their comparison; the first pair (of `want` when it has one) fills the form's fields.
function newestPairs(want: string, base: HTMLInputElement, head: HTMLInputElement): HTMLElement {
  const slot = h("div", { class: "compare-offers" }, loading("Looking for the newest measured commits…"));
  void (async () => {
    const { platforms } = await api.platforms();
    const names = platforms.map((p) => p.name).sort((a, b) => Number(b === want) - Number(a === want) || a.localeCompare(b));
    const pairs: { platform: string; base: string; head: string }[] = [];
    for (const platform of names) {
      const { runs } = await api.runs(50, platform);
      const shas: string[] = [];
      for (const r of runs) if (r.platform === platform && !shas.includes(r.sha) && shas.length < 2) shas.push(r.sha);
      if (shas.length === 2) pairs.push({ platform, base: shas[1], head: shas[0] });
    }
    if (pairs.length === 0) {
      slot.replaceChildren(note("No platform has two measured commits yet."));
      return;
    }
    if (!base.value && !head.value) [base.value, head.value] = [pairs[0].base, pairs[0].head];
    slot.replaceChildren(
      h("h2", null, "Newest measured commits"),
      h("ul", { class: "moved" }, pairs.map((p) => h("li", { "data-platform": p.platform },
        h("a", { class: "compare-offer", href: href("compare", { base: p.base, head: p.head, platform: p.platform }) },
          `Compare ${fmt.sha(p.base)} → ${fmt.sha(p.head)} on ${p.platform}`),
        " ", h("span", { class: "muted small" }, "the newest two commits measured there · "), commit(p.base), " ", commit(p.head)))),
    );
  })().catch((err: unknown) => slot.replaceChildren(errorBox(err, "newest commits")));
  return slot;
}

// The comparisons a published dashboard holds, as links.
function publishedList(): HTMLElement {
  const slot = h("div", { class: "published-comparisons" }, loading());
  void publishedComparisons().then(
    ({ comparisons }) =>
      slot.replaceChildren(
        h("h2", null, "Published comparisons"),
        comparisons.length
          ? h("ul", { class: "moved" }, comparisons.map((c) => h("li", null,
              h("a", { href: href("compare", { base: c.base, head: c.head, platform: c.platform }) }, `${fmt.sha(c.base)} → ${fmt.sha(c.head)}`),
              ` on ${c.platform} `, h("span", { class: "muted small" }, c.why))))
          : note("None: no alert has a commit range, and no platform has two measured commits."),
      ),
    (err: unknown) => slot.replaceChildren(errorBox(err, "published comparisons")),
  );
  return slot;
}

function renderResult(c: CompareResponse, only: string): Node[] {
  const rows = compareRows(c);
  const filter = h(
    "select",
    { "aria-label": "verdict filter" },
    [["", "all rows"], ["regressions", "regressions only"], ["changed", "regressions and improvements"], ["inconclusive", "inconclusive"]].map(([v, t]) =>
      h("option", { value: v, selected: v === only || null }, t),
    ),
  );
  const text = h("input", { type: "search", placeholder: "filter benchmarks", "aria-label": "filter benchmarks" });
  const tableSlot = h("div");
  const render = () => {
    const q = text.value.trim().toLowerCase();
    const shown = rows.filter((r) => {
      if (q && !r.benchmark.toLowerCase().includes(q) && !r.metric.toLowerCase().includes(q)) return false;
      switch (filter.value) {
        case "regressions": return r.verdict === "regression";
        case "changed": return r.verdict === "regression" || r.verdict === "improvement";
        case "inconclusive": return r.verdict === "inconclusive";
        default: return true;
      }
    });
    tableSlot.replaceChildren(
      h("div", { class: "muted small" }, `${shown.length} of ${rows.length} rows`),
      shown.length ? table(shown) : note("No rows match."),
    );
  };
  filter.addEventListener("change", () => {
    setParams({ only: filter.value || null });
    render();
  });
  text.addEventListener("input", render);
  render();
  const s = c.summary;
  const notCompared = Object.entries(c.not_compared ?? {}).filter(([, v]) => v.length > 0);
  return [
    h(
      "div",
      { class: "card" },
      h("div", null, "base ", commit(c.base.sha), " → head ", commit(c.head.sha), ` on ${c.head.platform}`,
        " · ", h("a", { href: href("compare", { base: c.head.sha, head: c.base.sha, platform: c.head.platform }) }, "swap")),
      c.advisory
        ? h("div", { class: "warn" }, "Advisory: the two runs are on different environments (fingerprints differ), so no change counts as a regression.")
        : null,
      c.baseline_reason ? h("div", { class: "muted small" }, c.baseline_reason) : null,
      c.history ? h("div", { class: "muted small" }, c.history.description) : null,
      s
        ? h("div", { class: "summary" }, badge(`${s.regressions} regressions`, "regression"), " ", badge(`${s.improvements} improvements`, "improvement"), " ",
            badge(`${s.inconclusive} inconclusive`, "inconclusive"), " ", badge(`${s.unchanged} unchanged`, "unchanged"))
        : null,
    ),
    h("div", { class: "toolbar" }, h("label", null, "show ", filter), text),
    tableSlot,
    notCompared.length
      ? h("div", null, h("h3", null, "Not compared"),
          h("ul", null, notCompared.map(([k, v]) => h("li", null, `${k.replace(/_/g, " ")}: `, h("code", null, v.join(", "))))))
      : h("div"),
  ];
}

function table(rows: CompareRow[]): HTMLElement {
  const cls = (r: CompareRow) => (r.verdict === "regression" ? "bad" : r.verdict === "improvement" ? "good" : "");
  return sortableTable(
    rows,
    [
      { title: "benchmark", cell: (r) => h("a", { href: href("benchmark", { name: r.benchmark, metric: r.metric }) }, r.benchmark), sort: (r) => r.benchmark },
      { title: "metric", cell: (r) => r.metric, sort: (r) => r.metric },
      { title: "base", cls: "num", cell: (r) => fmt.value(r.base_median, r.unit), sort: (r) => r.base_median },
      { title: "head", cls: "num", cell: (r) => fmt.value(r.head_median, r.unit), sort: (r) => r.head_median },
      { title: "change", cls: "num", cell: (r) => h("b", { class: cls(r) }, fmt.pct(r.change)), sort: (r) => r.change },
      {
        title: "interval",
        cls: "num",
        cell: (r) => (r.ci_low === null || r.ci_high === null ? "–" : `${fmt.pct(r.ci_low)} … ${fmt.pct(r.ci_high)}`),
        sort: (r) => r.ci_low,
      },
      { title: "p", cls: "num", cell: (r) => fmt.num(r.p_value), sort: (r) => r.p_value },
      { title: "q", cls: "num", cell: (r) => fmt.num(r.q_value), sort: (r) => r.q_value ?? null },
      { title: "min effect", cls: "num", cell: (r) => (r.threshold === undefined ? "–" : fmt.share(r.threshold).replace(".0%", "%")), sort: (r) => r.threshold ?? null },
      { title: "verdict", cell: (r) => badge(r.verdict), sort: (r) => kVerdictRank[r.verdict] ?? 9 },
      { title: "n", cls: "num", cell: (r) => (r.base_n === undefined ? "" : `${r.base_n}/${r.head_n}`) },
      { title: "note", cell: (r) => h("span", { class: "muted small" }, [r.noise_source, r.note].filter(Boolean).join("; ")) },
    ],
    500,
    { col: 9, desc: false },
  );
}

