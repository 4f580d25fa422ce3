// The dashboard's shell: header and navigation, the project and token settings, and the router
// that mounts one page at a time into <main>. A published copy (api.ts isStatic) has neither
// settings nor the Queue, and says when it was published.
import "./style.css";
import { api, isStatic, project, publishedAt, setProject, setToken, token } from "./api";
import { h } from "./dom";
import * as fmt from "./format";
import * as router from "./router";
import type { Mount, Page } from "./ui";
import { errorBox } from "./ui";
import { mountOverview } from "./pages/overview";
import { mountBenchmark } from "./pages/benchmark";
import { mountCompare } from "./pages/compare";
import { mountCross } from "./pages/cross";
import { mountCoverage } from "./pages/coverage";
import { mountAlerts } from "./pages/alerts";
import { mountQueue } from "./pages/queue";

const pages: Record<string, { title: string; mount: Mount }> = {
  overview: { title: "Overview", mount: mountOverview },
  benchmark: { title: "Benchmarks", mount: mountBenchmark },
  compare: { title: "Compare", mount: mountCompare },
  cross: { title: "Cross-platform", mount: mountCross },
  coverage: { title: "Coverage", mount: mountCoverage },
  queue: { title: "Queue", mount: mountQueue },
  alerts: { title: "Alerts", mount: mountAlerts },
};

// A published dashboard has no queue (what a live server's agents are doing): no link to it;
// its page says why.
const nav = h("nav", null, Object.entries(pages)
  .filter(([id]) => !(isStatic && id === "queue"))
  .map(([id, p]) => h("a", { href: router.href(id), "data-page": id }, p.title)));
const projectSelect = h("select", { "aria-label": "project", hidden: true });
const tokenButton = h("button", { type: "button", class: "token-button" }, "Token");
const publishedNote = isStatic
  ? h("span", { class: "muted small published", title: "a static copy made by perfledger publish: read-only" }, `published ${fmt.time(publishedAt)}`)
  : null;
const settings = buildSettings();
const banner = h("div", { class: "banner", hidden: true });
const main = h("main", { id: "page" });
document.body.replaceChildren(
  h("header", null, h("a", { class: "brand", href: "#/" }, "perfledger"), nav, h("span", { class: "spacer" }), publishedNote, projectSelect,
    isStatic ? null : tokenButton),
  ...(isStatic ? [] : [settings]),
  banner,
  main,
);

let page: Page | null = null;
let pageId = "";

function render(): void {
  const route = router.current();
  const entry = pages[route.page];
  for (const a of nav.querySelectorAll("a")) a.classList.toggle("active", a.dataset.page === route.page);
  if (route.page === pageId && page?.update?.(route.params)) return;
  page?.destroy?.();
  page = null;
  pageId = route.page;
  main.replaceChildren();
  if (!entry) {
    main.append(errorBox(new Error(`no page "${route.page}"`), "Not found"), h("a", { href: "#/" }, "Go to the overview"));
    return;
  }
  document.title = `${entry.title} · perfledger`;
  try {
    page = entry.mount(main, route.params);
  } catch (err) {
    main.replaceChildren(errorBox(err, entry.title));
  }
}

function buildSettings(): HTMLElement {
  const input = h("input", { type: "password", placeholder: "plt_…", autocomplete: "off", "aria-label": "API token", value: token() });
  const status = h("span", { class: "muted small" });
  const panel = h(
    "div",
    { class: "settings", hidden: true },
    h("label", null, "API token ", input),
    h("button", { type: "button", onclick: () => {
      setToken(input.value.trim());
      status.textContent = input.value.trim() ? "saved in this browser" : "cleared";
      updateTokenButton();
      render();
    } }, "Save"),
    h("button", { type: "button", onclick: () => {
      input.value = "";
      setToken("");
      status.textContent = "cleared";
      updateTokenButton();
      render();
    } }, "Clear"),
    status,
    h("p", { class: "muted small" }, "Sent as ", h("code", null, "Authorization: Bearer"),
      " with every request. Needed to triage alerts, and to read at all when the server runs with --private. Create one with ",
      h("code", null, "perfledger token create --project NAME"), "."),
  );
  return panel;
}

function updateTokenButton(): void {
  tokenButton.textContent = token() ? "Token ✓" : "Token";
}

function toggleSettings(open?: boolean): void {
  settings.hidden = open === undefined ? !settings.hidden : !open;
  if (!settings.hidden) settings.querySelector("input")?.focus();
}

async function loadProjects(): Promise<void> {
  try {
    const { projects } = await api.projects();
    const chosen = project();
    if (chosen && !projects.some((p) => p.name === chosen)) setProject("");
    if (projects.length <= 1) return;
    projectSelect.replaceChildren(
      ...projects.map((p) => h("option", { value: p.name, selected: p.name === project() || null }, p.name)),
    );
    if (!project()) setProject(projects[0].name);
    projectSelect.hidden = false;
  } catch {
    // The page itself shows why the API cannot be read (a private server without a token…).
  }
}

projectSelect.addEventListener("change", () => {
  setProject(projectSelect.value);
  pageId = "";
  render();
});
tokenButton.addEventListener("click", () => toggleSettings());
// A write refused for want of a token (pages call ui.askForToken): open the settings and say why.
document.addEventListener("perfledger:need-token", (e) => {
  const status = settings.querySelector(".muted.small");
  if (status) status.textContent = (e as CustomEvent<string>).detail;
  toggleSettings(true);
});
document.addEventListener("click", (e) => {
  const t = e.target as HTMLElement;
  if (t.closest("[data-open-settings]")) {
    e.preventDefault();
    toggleSettings(true);
  }
});
window.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  banner.hidden = false;
  banner.replaceChildren(errorBox(e.reason));
});
window.addEventListener("hashchange", render);
updateTokenButton();
const projectBefore = project();
// A published dashboard is one project's: its files answer whatever project is asked for.
if (!isStatic) {
  void loadProjects().then(() => {
    if (project() !== projectBefore) {
      pageId = "";
      render();
    }
  });
}
render();
