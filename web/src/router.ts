// Hash routing: "#/benchmark?name=parse&platform=linux". Any static server can serve the page.
import { withQuery, type Params } from "./query";

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

export function href(page: string, params: Params = {}): string {
  return withQuery(`#/${page}`, params);
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
