// Pieces the pages share: error and loading boxes, tables, badges, the benchmark search.
import { ApiError, api, type Benchmark } from "./api";
import { debounce, h } from "./dom";

export interface Page {
  // Called when only the route's parameters changed; false means "mount me again".
  update?(params: URLSearchParams): boolean;
  destroy?(): void;
}

export type Mount = (root: HTMLElement, params: URLSearchParams) => Page;

// An error as people read it: the server's message, and what to do about a missing token.
export function errorBox(err: unknown, what = ""): HTMLElement {
  const e = err instanceof ApiError ? err : null;
  const message = err instanceof Error ? err.message : String(err);
  return h(
    "div",
    { class: "error", role: "alert" },
    h("b", null, what ? `${what}: ` : "Error: "),
    message,
    e && e.status === 401 && /private/.test(message)
      ? h("div", null, "This server is private. Set an API token (", h("code", null, "perfledger token create"),
          ") with the ", h("a", { href: "#", "data-open-settings": "1" }, "Token"), " button above.")
      : null,
    e && e.status === 401 && !/private/.test(message)
      ? h("div", null, "Changing the record needs an API token of the project (", h("code", null, "perfledger token create --project NAME"),
          "): set it with the ", h("a", { href: "#", "data-open-settings": "1" }, "Token"), " button above, then try again.")
      : null,
    e && e.status === 403 ? h("div", null, "The saved token belongs to another project.") : null,
  );
}

// A write was refused for want of a token: the shell opens the token settings with `reason`.
export function askForToken(reason: string): void {
  document.dispatchEvent(new CustomEvent("perfledger:need-token", { detail: reason }));
}

export function loading(text = "Loading…"): HTMLElement {
  return h("div", { class: "loading" }, text);
}

export function note(text: string | Node, cls = "note"): HTMLElement {
  return h("p", { class: cls }, text);
}

// Runs `load` and puts its result (or its error) into `slot`; a page never goes blank.
export async function fill(slot: HTMLElement, load: () => Promise<Node | Node[]>, what = ""): Promise<void> {
  slot.replaceChildren(loading());
  try {
    const out = await load();
    slot.replaceChildren(...(Array.isArray(out) ? out : [out]));
  } catch (err) {
    slot.replaceChildren(errorBox(err, what));
  }
}

export function badge(text: string, kind = text): HTMLElement {
  return h("span", { class: `badge b-${kind.replace(/[^a-z-]/g, "")}` }, text);
}

export interface Column<T> {
  title: string;
  cell: (row: T) => Node | string;
  sort?: (row: T) => number | string | null;
  cls?: string;
}

// A table whose headers sort (click again to reverse); rows beyond `limit` hidden behind a button.
export function sortableTable<T>(rows: T[], columns: Column<T>[], limit = 500, initial?: { col: number; desc: boolean }): HTMLElement {
  const wrap = h("div", { class: "table-wrap" });
  let sortCol = initial?.col ?? -1;
  let desc = initial?.desc ?? false;
  let shown = limit;
  const render = () => {
    let sorted = rows;
    const key = sortCol >= 0 ? columns[sortCol].sort : undefined;
    if (key) {
      sorted = [...rows].sort((a, b) => {
        const x = key(a);
        const y = key(b);
        if (x === y) return 0;
        if (x === null) return 1;  // empty values last either way
        if (y === null) return -1;
        const c = x < y ? -1 : 1;
        return desc ? -c : c;
      });
    }
    const head = h(
      "tr",
      null,
      columns.map((c, i) =>
        h(
          "th",
          {
            class: [c.cls, c.sort ? "sortable" : "", i === sortCol ? (desc ? "desc" : "asc") : ""].filter(Boolean).join(" "),
            onclick: c.sort
              ? () => {
                  desc = sortCol === i ? !desc : false;
                  sortCol = i;
                  render();
                }
              : null,
            title: c.sort ? "sort" : null,
          },
          c.title,
        ),
      ),
    );
    const body = sorted.slice(0, shown).map((r) => h("tr", null, columns.map((c) => h("td", { class: c.cls }, c.cell(r)))));
    const more =
      sorted.length > shown
        ? h("button", { class: "more", onclick: () => ((shown += limit), render()) }, `show ${Math.min(limit, sorted.length - shown)} more of ${sorted.length - shown}`)
        : null;
    wrap.replaceChildren(h("table", { class: "grid" }, h("thead", null, head), h("tbody", null, body)), more ?? "");
  };
  render();
  return wrap;
}

// A search box over /api/v1/benchmarks?q=: the server filters (a substring, or a glob with *?[),
// the page shows the first `show` names. `onChoose` gets the chosen benchmark.
export function benchmarkSearch(opts: {
  initial: string;
  selected: string;
  onChoose: (b: Benchmark) => void;
  show?: number;
  // The first search waits for this (the page's chart goes first on a busy server).
  after?: Promise<unknown>;
}): { element: HTMLElement; select(name: string): void; results(): Benchmark[] } {
  const show = opts.show ?? 100;
  const input = h("input", {
    type: "search",
    class: "search",
    placeholder: "Search benchmarks (substring or glob: parse/*)",
    value: opts.initial,
    "aria-label": "search benchmarks",
  });
  const count = h("div", { class: "muted small" });
  const list = h("ul", { class: "bench-list", role: "listbox" });
  let selected = opts.selected;
  let found: Benchmark[] = [];
  let total = 0;
  let seq = 0;
  const render = () => {
    list.replaceChildren(
      ...found.map((b) =>
        h(
          "li",
          { class: b.name === selected ? "sel" : null, role: "option", title: b.name },
          h("a", {
            href: "#",
            onclick: (e: Event) => {
              e.preventDefault();
              selected = b.name;
              render();
              opts.onChoose(b);
            },
          }, b.name),
          h("span", { class: "muted small" }, ` ${b.platforms.length} pl.`),
        ),
      ),
    );
    count.textContent =
      total > found.length ? `${total} benchmarks; showing ${found.length}: refine the search` : `${total} benchmark${total === 1 ? "" : "s"}`;
  };
  const search = async (q: string) => {
    const mine = ++seq;
    count.textContent = "searching…";
    try {
      const r = await api.benchmarks(q, show);
      if (mine !== seq) return;
      found = r.benchmarks.slice(0, show);
      total = Math.max(r.total ?? r.benchmarks.length, found.length);
      render();
    } catch (err) {
      if (mine !== seq) return;
      list.replaceChildren(h("li", null, errorBox(err, "benchmarks")));
      count.textContent = "";
    }
  };
  input.addEventListener("input", debounce(() => search(input.value.trim()), 200));
  void (opts.after ?? Promise.resolve()).finally(() => search(opts.initial));
  return {
    element: h("div", { class: "bench-search" }, input, count, list),
    select(name: string) {
      selected = name;
      render();
    },
    results: () => found,
  };
}
