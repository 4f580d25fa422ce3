// Publish: the dashboard as static files, for GitHub Pages or any static file server. The web
// app's own files are written out as they are (index.html marked static, with a <base> when a
// base URL is given), and every request its pages make is answered in advance: the same
// documents the API serves, made by the same service calls, written under data/ at paths the
// web app's data-access seam (web/src/api.ts) maps each request to (docs/publish.md lists them).
// Only what a static page can hold is published: no queue (the live state of agents), no
// triage, comparisons only for the alert ranges and each platform's latest two commits.
//
// The directory is written whole or not at all: everything goes to a temporary directory
// beside it, which then takes its place. Not thread-safe for one `out` (two publishes racing
// for the same directory: one of them fails, neither leaves half a site).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"
#include "env/env.h"
#include "service/catalog.h"
#include "store/store.h"

namespace perfledger::service {

// A file of the built dashboard: its path from the site's root ("/index.html") and contents.
struct WebFile {
  std::string path;
  std::string_view data;
};

struct PublishRequest {
  // The directory to write: new, empty, or an earlier publish (it holds static.json), which
  // is replaced whole. Anything else is refused (kInvalidInput), so nothing of the user's is
  // ever deleted.
  std::string out;
  // Where the site is served from: empty for "wherever index.html is" (relative URLs), else a
  // path "/repo/" or an absolute "https://owner.github.io/repo/" (a trailing "/" is added).
  std::string base_url;
  // The project to publish; absent: the store's only one (several: kInvalidInput naming them).
  std::optional<std::string> project;
  // The built dashboard; it must hold /index.html.
  std::vector<WebFile> web;
  base::Timestamp now;  // "as of" for gaps' ages, and the published time
  // Where the pages link commits (publish --repo-url): data/projects.json's repository_url
  // and commit_url.
  RepositoryLinks repository;
};

struct PublishOutcome {
  std::string project;
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t benchmarks = 0;
  int64_t series = 0;  // benchmark x metric documents
  int64_t comparisons = 0;
};

// Points per line of a series at display resolution: what the Benchmarks page's chart asks of
// the server on a wide screen (about two per pixel); longer lines also get their full file.
inline constexpr int64_t kPublishDisplayPoints = 2400;

base::Result<PublishOutcome> Publish(store::Store& store, const PublishRequest& request,
                                     env::Env& env);

// The file name a benchmark, metric or platform name is published under (web/src/api.ts
// staticKey is the same function): its UTF-8 bytes with [A-Za-z0-9_-] kept and every other
// byte as "~" and two lowercase hex digits; longer than 150 characters, its first 100 and
// "~~" and the 16 hex digits of the name's 64-bit FNV-1a hash.
std::string StaticKey(std::string_view name);

// The base URL as index.html's <base href> takes it: "" stays "", "/repo" becomes "/repo/".
// kInvalidInput for anything but a path starting with "/" or an http(s) URL, or one holding
// characters that would need escaping in HTML.
base::Result<std::string> NormalizeBaseUrl(const std::string& base_url);

}  // namespace perfledger::service
