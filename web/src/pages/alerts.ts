// Alerts: grouped by commit range (a range that regressed several benchmarks on several
// platforms is one thing to look at; ranges that overlap are one group, with the commits they
// all hold as the likely culprit), filtered by status, platform, kind and name; each alert,
// or a whole group, can be acknowledged, resolved or marked a false positive, with a note
// (PATCH /api/v1/alerts/{id}; a private server needs a token). A published dashboard shows the
// alerts and their notes without any of that.
import { ApiError, api, isStatic, type Alert, type AlertGroup, type AlertStatus } from "../api";
import { h } from "../dom";
import * as fmt from "../format";
import { commit, range as commitRange } from "../links";
import { href, setParams } from "../router";
import { askForToken, badge, errorBox, loading, note, type Page } from "../ui";

const kStatuses: [string, string][] = [
  ["open", "open"],
  ["acknowledged", "acknowledged"],
  ["resolved", "resolved"],
  ["false-positive", "false positive"],
  ["", "any status"],
];
const kKinds: [string, string][] = [
  ["", "any kind"],
  ["regression", "regressions"],
  ["improvement", "improvements"],
  ["environment", "environment changes"],
  ["drift", "drifts"],
  ["noise", "noise changes"],
];
const kActions: [AlertStatus, string][] = [
  ["acknowledged", "Acknowledge"],
  ["resolved", "Resolve"],
  ["false-positive", "False positive"],
  ["open", "Reopen"],
];

export function mountAlerts(root: HTMLElement, params: URLSearchParams): Page {
  const status = params.has("status") ? params.get("status") ?? "" : "open";
  const platform = params.get("platform") ?? "";
  const kind = params.get("kind") ?? "";
  const range = params.get("range") ?? "";
  const select = (label: string, key: string, options: [string, string][], value: string) =>
    h(
      "label",
      null,
      label + " ",
      h(
        "select",
        { "aria-label": label, onchange: (e: Event) => setParams({ [key]: (e.target as HTMLSelectElement).value, range: null }, false) },
        options.map(([v, t]) => h("option", { value: v, selected: v === value || null }, t)),
      ),
    );
  const platformOptions: [string, string][] = [["", "all platforms"]];
  if (platform) platformOptions.push([platform, platform]);
  const platformLabel = select("platform", "platform", platformOptions, platform);
  const search = h("input", { type: "search", placeholder: "filter benchmarks", "aria-label": "filter benchmarks", value: params.get("q") ?? "" });
  const list = h("div");
  root.append(
    h("h1", null, "Alerts"),
    h("div", { class: "toolbar" }, select("status", "status", kStatuses, status), platformLabel, select("kind", "kind", kKinds, kind), search,
      range ? h("span", null, "range ending ", commit(range), " ", h("a", { href: href("alerts", { status, platform, kind }) }, "show all")) : null),
    list,
  );

  void api.platforms().then(({ platforms }) => {
    const sel = platformLabel.querySelector("select")!;
    sel.append(...platforms.filter((p) => p.name !== platform).map((p) => h("option", { value: p.name }, p.name)));
  }).catch(() => undefined);

  let data: { alerts: Alert[]; groups: AlertGroup[] } = { alerts: [], groups: [] };
  const render = () => {
    const q = search.value.trim().toLowerCase();
    const byId = new Map(data.alerts.map((a) => [a.id, a]));
    const groups = data.groups
      .filter((g) => !range || g.commit_range.to === range || g.likely_range?.to === range)
      .map((g) => ({ g, alerts: g.alert_ids.map((id) => byId.get(id)).filter((a): a is Alert => !!a && (!q || a.benchmark.toLowerCase().includes(q))) }))
      .filter((x) => x.alerts.length > 0);
    const grouped = new Set(data.groups.flatMap((g) => g.alert_ids));
    const loose = range ? [] : data.alerts.filter((a) => !grouped.has(a.id) && (!q || a.benchmark.toLowerCase().includes(q)));
    const total = groups.reduce((n, x) => n + x.alerts.length, 0) + loose.length;
    list.replaceChildren(
      h("div", { class: "muted small" }, `${total} alert${total === 1 ? "" : "s"} in ${groups.length} commit range${groups.length === 1 ? "" : "s"}`),
      ...(total === 0 ? [note(status === "open" ? "No open alerts: nothing to triage." : "No alerts match.")] : []),
      ...groups.map(({ g, alerts }) => groupBox(g.summary, g.commit_range, alerts, render, g.subject ?? null, g)),
      ...(loose.length ? [groupBox("not grouped", null, loose, render)] : []),
    );
  };
  search.addEventListener("input", () => render());

  list.replaceChildren(loading());
  api.alerts(status, platform, kind).then(
    (d) => {
      data = d;
      render();
    },
    (err: unknown) => list.replaceChildren(errorBox(err, "alerts")),
  );
  return {};
}

// Where the culprit likely is, when the group's ranges overlap rather than share their ends:
// the commits all of them hold.
function likelyCulprit(g: AlertGroup | null): HTMLElement | null {
  const likely = g?.likely_range;
  if (!g || !likely || (likely.from === g.commit_range.from && likely.to === g.commit_range.to)) return null;
  return h(
    "div",
    { class: "likely", title: "the commits every alert's range in this group holds" },
    "likely culprit ", commitRange(likely),
    g.likely_subject ? [" ", h("span", { class: "subject" }, g.likely_subject)] : null,
  );
}

function groupBox(summary: string, range: Alert["commit_range"] | null, alerts: Alert[], rerender: () => void, subject: string | null = null, group: AlertGroup | null = null): HTMLElement {
  const noteInput = h("input", { type: "text", placeholder: "note (optional)", "aria-label": "note for the group" });
  const msg = h("div");
  const setAll = async (to: AlertStatus) => {
    msg.replaceChildren();
    for (const a of alerts.filter((x) => x.status !== to)) {
      try {
        Object.assign(a, await api.setAlertStatus(a.id, to, noteInput.value.trim() || undefined));
      } catch (err) {
        msg.replaceChildren(errorBox(err, `alert #${a.id}`));
        if (err instanceof ApiError && err.status === 401) askForToken("Triage needs an API token of this project.");
        break;
      }
    }
    if (msg.childNodes.length === 0) rerender();
  };
  // A drift that worsens its series counts as a regression.
  const regressions = alerts.filter((a) => fmt.alertClass(a) === "bad").length;
  return h(
    "section",
    { class: "group", "data-range": range?.to ?? "" },
    h(
      "div",
      { class: "group-head" },
      range ? commitRange(range) : null,
      subject ? h("span", { class: "subject", title: `the subject of ${range?.to ?? ""}, the range's last commit` }, subject) : null,
      h("b", null, summary),
      h("span", { class: "muted small" }, `${alerts.length} alert${alerts.length === 1 ? "" : "s"}, ${regressions} regression${regressions === 1 ? "" : "s"}`),
      // The ends of one alert's range, both measured on its platform (a group of overlapping
      // ranges spans commits another platform measured).
      range?.from && alerts[0].commit_range.from
        ? h("a", { href: href("compare", { base: alerts[0].commit_range.from, head: alerts[0].commit_range.to, platform: alerts[0].platform }) }, "compare the ends")
        : null,
      likelyCulprit(group),
      isStatic
        ? null
        : h("span", { class: "actions" }, noteInput,
            kActions.slice(0, 3).map(([s, label]) => h("button", { type: "button", onclick: () => void setAll(s) }, `${label} all`))),
    ),
    msg,
    h(
      "table",
      { class: "grid" },
      h("thead", null, h("tr", null, ["benchmark", "platform", "change", "before → after", "confidence", "noise", "status", "note", ""].map((t) => h("th", null, t)))),
      h("tbody", null, alerts.map((a) => alertRow(a))),
    ),
  );
}

function alertRow(a: Alert): HTMLElement {
  const row = h("tr", { "data-alert-id": a.id });
  const msg = h("div");
  const draw = () => {
    const noteInput = h("input", { type: "text", placeholder: "note", "aria-label": `note for alert ${a.id}`, value: a.note ?? "", size: 14 });
    const act = async (to: AlertStatus) => {
      msg.replaceChildren();
      for (const b of row.querySelectorAll("button")) b.disabled = true;
      try {
        Object.assign(a, await api.setAlertStatus(a.id, to, noteInput.value.trim() || undefined));
        draw();
      } catch (err) {
        for (const b of row.querySelectorAll("button")) b.disabled = false;
        msg.replaceChildren(errorBox(err, `alert #${a.id}`));
        if (err instanceof ApiError && err.status === 401) askForToken("Triage needs an API token of this project.");
      }
    };
    const cls = fmt.alertClass(a);
    row.replaceChildren(
      h("td", null, h("a", { href: href("benchmark", { name: a.benchmark, metric: a.metric, platform: a.platform }) }, a.benchmark),
        h("div", { class: "muted small" }, a.epoch === null ? `${a.metric} · ` : `${a.metric} · epoch ${a.epoch} · `, badge(a.kind))),
      h("td", null, a.platform),
      h("td", { class: "num" }, h("b", { class: cls }, fmt.alertChange(a)),
        a.kind === "drift" && a.first ? h("div", { class: "muted small" }, "from ", commit(a.first)) : null),
      h("td", { class: "num" }, `${fmt.value(a.before_median, a.unit)} → ${fmt.value(a.after_median, a.unit)}`),
      h("td", { class: "num" }, fmt.share(a.confidence)),
      h("td", { class: "num" }, fmt.share(a.noise)),
      h("td", { class: "status" }, badge(a.status), h("div", { class: "muted small" }, fmt.time(a.updated_at))),
      h("td", null, isStatic ? h("span", { class: "muted small" }, a.note ?? "") : noteInput),
      isStatic
        ? h("td")
        : h("td", null, h("span", { class: "actions" },
            kActions.filter(([s]) => s !== a.status).map(([s, label]) => h("button", { type: "button", "data-action": s, onclick: () => void act(s) }, label))), msg),
    );
  };
  draw();
  return row;
}
