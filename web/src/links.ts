// Links from a commit to its page in the repository's web view (GitHub, GitLab, ...): the
// server's `serve --repo-url` (or its --repo's origin remote), a published site's
// `publish --repo-url`, as GET /api/v1/projects says (commit_url, "{sha}" for the full sha).
//
// Pages draw at once and the projects document may come later: a commit drawn before it is a
// link without an address until then (and stays plain text where no repository is known).
import { api } from "./api";
import { h } from "./dom";
import * as fmt from "./format";

let template: string | null = null;
let known = false;
const waiting = new Set<HTMLAnchorElement>();

// The address of `sha`'s page, or null when the repository is not known (yet).
export function commitUrl(sha: string): string | null {
  return template && /^[0-9a-f]{4,64}$/i.test(sha) ? template.replace("{sha}", sha) : null;
}

function address(a: HTMLAnchorElement, sha: string): void {
  const url = commitUrl(sha);
  if (!url) return;
  a.href = url;
  a.target = "_blank";
  a.rel = "noopener noreferrer";
  a.title = `${sha}: open the commit in the repository`;
}

// A commit as people read it (its first 10 hex digits, or `label`), linked to its page.
export function commit(sha: string | null | undefined, label?: string): Node {
  if (!sha) return document.createTextNode(label ?? "–");
  const a = h("a", { class: "commit", "data-sha": sha }, h("code", null, label ?? fmt.sha(sha)));
  if (known) address(a, sha);
  else waiting.add(a);
  return a;
}

// A commit range "from..to (n commits)" with both ends linked.
export function range(r: { from: string | null; to: string; count: number | null }): Node {
  const n = r.count === null ? "? commits" : r.count === 1 ? "1 commit" : `${r.count} commits`;
  return h("span", { class: "range" }, r.from ? commit(r.from) : h("code", null, "(start)"), h("code", null, ".."), commit(r.to), ` (${n})`);
}

// Asks for the projects document once (the shell calls it at start).
export const loaded: Promise<void> = (async () => {
  try {
    const doc = await api.projects();
    template = typeof doc.commit_url === "string" && doc.commit_url.includes("{sha}") && /^https?:\/\//.test(doc.commit_url) ? doc.commit_url : null;
  } catch {
    template = null;  // a private server without a token, an old published site: plain shas
  } finally {
    known = true;
    for (const a of waiting) address(a, a.dataset.sha ?? "");
    waiting.clear();
  }
})();
