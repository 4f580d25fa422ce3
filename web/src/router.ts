// Hash routing: "#/benchmark?name=parse&platform=linux". Any static server can serve the page.

export interface Route {
  page: string;
  params: URLSearchParams;
}

export function current(): Route {
  const hash = location.hash.replace(/^#\/?/, "");
  const q = hash.indexOf("?");
  const page = (q < 0 ? hash : hash.slice(0, q)) || "overview";
  return { page, params: new URLSearchParams(q < 0 ? "" : hash.slice(q + 1)) };
}

type Params = Record<string, string | number | null | undefined>;

export function href(page: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const qs = q.toString();
  return `#/${page}${qs ? "?" + qs : ""}`;
}

export function go(page: string, params: Params = {}, replace = false): void {
  const target = href(page, params);
  if (replace) {
    history.replaceState(null, "", target);
    window.dispatchEvent(new HashChangeEvent("hashchange"));
  } else {
    location.hash = target;
  }
}

// Replaces the current route's parameters with `params` (null removes one).
export function setParams(params: Params, replace = true): void {
  const r = current();
  const merged: Params = Object.fromEntries(r.params.entries());
  Object.assign(merged, params);
  go(r.page, merged, replace);
}
