// Query strings, for the API's URLs (api.ts) and the dashboard's routes (router.ts) alike.

export type Params = Record<string, string | number | null | undefined>;

// `path` with `params` as its query string; a parameter whose value is null, undefined or ""
// is left out, and so is the "?" when none is left.
export function withQuery(path: string, params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && v !== undefined && v !== "") q.set(k, String(v));
  }
  const qs = q.toString();
  return `${path}${qs ? "?" + qs : ""}`;
}
