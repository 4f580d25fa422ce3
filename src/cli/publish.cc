// perfledger publish: the dashboard as static files for GitHub Pages (service/publish.h).
#include "service/publish.h"

#include <fmt/format.h>

#include <cstdio>

#include "cli/shell.h"
#include "env/env.h"
#include "server/web_assets.h"
#include "service/catalog.h"

namespace perfledger::cli {
namespace {

struct PublishOptions {
  std::string out;
  std::string base_url;
  std::string project;
  std::string web_root;
  std::string repo_url;
};

// The dashboard's files: those built into the binary, or the built directory --web-root names.
base::Result<std::vector<service::WebFile>> DashboardFiles(const std::string& web_root,
                                                           std::vector<std::string>* contents) {
  std::vector<service::WebFile> files;
  if (web_root.empty()) {
    for (const server::WebAsset& a : server::WebAssets()) {
      files.push_back({std::string(a.path), a.data});
    }
    return files;
  }
  env::Env* env = env::Env::Default();
  if (!env->IsDirectory(web_root)) {
    return base::InvalidInput(fmt::format("--web-root {}: not a directory", web_root));
  }
  ASSIGN_OR_RETURN(auto paths, env->ListFiles(web_root, ""));
  contents->reserve(paths.size());  // the views below point into it
  for (const auto& path : paths) {
    ASSIGN_OR_RETURN(auto text, env->ReadFile(path));
    contents->push_back(std::move(text));
    // "DIR/assets/x.js" -> "/assets/x.js"
    std::string relative = path.substr(web_root.size());
    if (!relative.starts_with('/')) relative.insert(0, "/");
    files.push_back({std::move(relative), contents->back()});
  }
  return files;
}

void RunPublish(const PublishOptions& opt, Shell* shell) {
  if (opt.out.empty()) return shell->UsageError("--out: required, the directory to write");
  auto links = service::RepositoryLinksFor(opt.repo_url, "");
  if (!links.ok()) return shell->Fail(links.status());
  std::vector<std::string> contents;
  auto web = DashboardFiles(opt.web_root, &contents);
  if (!web.ok()) return shell->Fail(web.status());
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  service::PublishRequest request;
  request.out = opt.out;
  request.base_url = opt.base_url;
  if (!opt.project.empty()) request.project = opt.project;
  request.web = std::move(*web);
  request.repository = std::move(*links);
  env::Env* env = env::Env::Default();
  request.now = env->Now();
  auto outcome = service::Publish(**store, request, *env);
  if (!outcome.ok()) return shell->Fail(outcome.status());
  fmt::print(stderr,
             "published {}: {} benchmark{} ({} series), {} comparison{}, {} files, {:.1f} MiB "
             "in {}\n",
             outcome->project.empty() ? "an empty store" : "project " + outcome->project,
             outcome->benchmarks, outcome->benchmarks == 1 ? "" : "s", outcome->series,
             outcome->comparisons, outcome->comparisons == 1 ? "" : "s", outcome->files,
             static_cast<double>(outcome->bytes) / (1 << 20), opt.out);
}

}  // namespace

void AddPublishVerb(CLI::App& app, Shell* shell) {
  auto opt = std::make_shared<PublishOptions>();
  CLI::App* cmd = app.add_subcommand(
      "publish", "Write the dashboard as static files (GitHub Pages), its data pre-computed");
  cmd->footer(
      "The same dashboard as `perfledger serve`, reading JSON files written now instead of\n"
      "the API: every benchmark's series (at display resolution and in full), coverage, gaps,\n"
      "skips, alerts, the index, and comparisons of each alert's range and of each platform's\n"
      "latest two commits. Read-only: no triage, no queue, no token. DIR is written whole or\n"
      "not at all, and must be new, empty or an earlier publish (which it replaces).\n"
      "See docs/publish.md.\n\n"
      "Example:\n"
      "  perfledger publish --out site/ --base-url /my-repo/   # https://OWNER.github.io/my-repo/\n"
      "  python3 -m http.server -d site 8000                    # look at it locally (no "
      "--base-url)");
  cmd->add_option("--out", opt->out, "Directory to write the site to (required)");
  cmd->add_option("--base-url", opt->base_url,
                  "Path (or URL) the site is served under, e.g. /REPO/ for GitHub Pages of a "
                  "repository (default: relative, works under any path)");
  cmd->add_option("--project", opt->project,
                  "Project to publish (default: the store's only project)");
  cmd->add_option("--repo-url", opt->repo_url,
                  "The repository's web address, like https://github.com/OWNER/REPO: the pages "
                  "link every commit to its page there");
  cmd->add_option("--web-root", opt->web_root,
                  "Publish the built dashboard in this directory instead of the one in the binary");
  cmd->callback([opt, shell] { RunPublish(*opt, shell); });
}

}  // namespace perfledger::cli
