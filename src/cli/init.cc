// perfledger init github-actions: writes a GitHub Actions workflow that runs the pipeline of
// DESIGN.md (workflow_template.cc). Every value put into it (platforms, branches, paths, the
// action and URL) is checked here against a small character set first, so nothing needs
// escaping in YAML, in a GitHub expression or on a shell command line.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <string_view>

#include "base/strings.h"
#include "cli/run_metadata.h"
#include "cli/shell.h"
#include "cli/workflow_template.h"
#include "env/env.h"

namespace perfledger::cli {
namespace {

bool IsPlatformChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

// The rule the artifact reader applies to "platform" (core/artifact.cc), so every platform the
// workflow plans can be ingested.
bool IsPlatformName(std::string_view s) {
  return !s.empty() && s.size() <= 128 && s.front() != '.' && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), IsPlatformChar);
}

// A narrower set than git allows, so the name is safe unquoted in `branches:` (no glob
// characters) and on a shell command line (no leading '-'). Paths (--suite) follow it too.
bool IsBranchName(std::string_view s) {
  return !s.empty() && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), [](char c) { return IsPlatformChar(c) || c == '/'; });
}

// owner/repo@ref or ./local/path: safe unquoted after `uses:`.
bool IsActionRef(std::string_view s) {
  return !s.empty() && s.front() != '-' && std::all_of(s.begin(), s.end(), [](char c) {
    return IsPlatformChar(c) || c == '/' || c == '@';
  });
}

// An http(s) or file URL without quotes, spaces, '$', '#' or backquotes: safe unquoted in
// YAML and never expanded by a shell.
bool IsInstallUrl(std::string_view s) {
  const bool scheme = base::StartsWith(s, "https://") || base::StartsWith(s, "http://") ||
                      base::StartsWith(s, "file:///");
  return scheme && s.size() <= 2048 && std::all_of(s.begin(), s.end(), [](char c) {
           return IsPlatformChar(c) ||
                  std::string_view(":/?&=%+@~,").find(c) != std::string_view::npos;
         });
}

void RunInitGitHubActions(WorkflowOptions opt, Shell* shell) {
  std::vector<std::string> platforms;
  for (const auto& p : opt.platforms) {
    if (!IsPlatformName(p)) {
      return shell->UsageError(
          fmt::format("--platforms: {} is not a platform name: use letters, digits, '.', '_' "
                      "and '-' (not first), such as x86-64-linux",
                      base::Quote(p)));
    }
    const std::string name = ResolvePlatformName(p, "--platforms", *shell);
    if (std::find(platforms.begin(), platforms.end(), name) == platforms.end()) {
      platforms.push_back(name);
    }
  }
  opt.platforms = std::move(platforms);
  if (!IsBranchName(opt.branch)) {
    return shell->UsageError(
        fmt::format("--branch: {} is not supported: use letters, digits, '.', '_', '-' and '/'",
                    base::Quote(opt.branch)));
  }
  if (!IsBranchName(opt.history_branch) || opt.history_branch == opt.branch) {
    return shell->UsageError(fmt::format(
        "--history-branch: {} is not supported: use letters, digits, '.', '_', '-' and '/', "
        "and not the benchmarked branch",
        base::Quote(opt.history_branch)));
  }
  if (!opt.suite.empty() && !IsBranchName(opt.suite)) {
    return shell->UsageError(
        fmt::format("--suite: {} is not supported: use a relative path of letters, digits, "
                    "'.', '_', '-' and '/'",
                    base::Quote(opt.suite)));
  }
  if (!IsActionRef(opt.action)) {
    return shell->UsageError(fmt::format("--action: expected owner/repo@ref or ./path, got {}",
                                         base::Quote(opt.action)));
  }
  if (!opt.install_url.empty() && !IsInstallUrl(opt.install_url)) {
    return shell->UsageError(fmt::format(
        "--install-url: expected an https://, http:// or file:/// URL without spaces, quotes, "
        "'$' or '#', got {}",
        base::Quote(opt.install_url)));
  }
  if (opt.to_stdout) {
    fmt::print("{}", GenerateWorkflow(opt));
    return;
  }
  if (opt.out.empty()) return shell->UsageError("--out: expected a file path");
  // The path is shown in the regenerate line of the file; keep it printable and unquoted.
  if (std::any_of(opt.out.begin(), opt.out.end(),
                  [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == '\''; })) {
    return shell->UsageError(
        fmt::format("--out: {} has a space, a quote or a control character", base::Quote(opt.out)));
  }
  env::Env* env = env::Env::Default();
  if (env->IsDirectory(opt.out)) {
    return shell->UsageError(
        fmt::format("--out: {} is a directory: give the workflow's file path", opt.out));
  }
  if (env->Exists(opt.out) && !opt.force) {
    return shell->UsageError(
        fmt::format("{} exists: pass --force to overwrite it, or --stdout to compare", opt.out));
  }
  const std::string text = GenerateWorkflow(opt);
  const std::string parent = std::filesystem::path(opt.out).parent_path().string();
  if (!parent.empty()) {
    if (auto s = env->CreateDirectories(parent); !s.ok()) return shell->Fail(s);
  }
  if (auto s = env->WriteFileAtomic(opt.out, text); !s.ok()) return shell->Fail(s);
  fmt::print("wrote {}: edit its steps marked EDIT, then commit it\n", opt.out);
}

}  // namespace

void AddInitVerb(CLI::App& app, Shell* shell) {
  CLI::App* init = app.add_subcommand("init", "Write a CI configuration that runs perfledger");
  init->require_subcommand(1);
  init->footer(
      "Example:\n"
      "  perfledger init github-actions --platforms x86-64-linux aarch64-macos");

  auto opt = std::make_shared<WorkflowOptions>();
  opt->action = kDefaultSetupAction;
  CLI::App* gha = init->add_subcommand(
      "github-actions", "Write a GitHub Actions workflow: plan, parallel bench jobs, collect");
  gha->fallthrough();
  gha->footer(
      "Platforms are named arch-os (x86-64-linux, aarch64-macos, x86-64-windows; the other\n"
      "order, linux-x86_64, is taken as an alias unless a store or CI keeps it) and map\n"
      "to runners by name: *-linux to ubuntu-latest, *-macos to macos-latest, *-windows to\n"
      "windows-latest (also linux*, macos*, windows*), anything else to [self-hosted,\n"
      "<platform>]. Every result\n"
      "is kept in git, in --history-branch (history/<platform>.jsonl), written only by the\n"
      "collect job with one push; the store is rebuilt from it and cached in the Actions\n"
      "cache to save time. perfledger is set up on each runner by --action (built from\n"
      "source and cached, or installed from --install-url). Without --suite, edit the step\n"
      "marked EDIT that runs your benchmarks before committing the file.\n\n"
      "Example:\n"
      "  perfledger init github-actions --platforms x86-64-linux --suite perfledger.toml \\\n"
      "      --pr-gate --pages\n"
      "  perfledger init github-actions --branch trunk --stdout | less");
  gha->add_option("--platforms", opt->platforms,
                  "Platform labels, one or more (default: x86-64-linux)")
      ->delimiter(',');
  CLI::Option* out =
      gha->add_option("--out", opt->out, "Workflow file to write")->capture_default_str();
  gha->add_option("--branch", opt->branch, "Branch to benchmark")->capture_default_str();
  gha->add_option("--history-branch", opt->history_branch,
                  "Branch that keeps every result (history files, pushed by collect)")
      ->capture_default_str();
  gha->add_option("--suite", opt->suite,
                  "Suite file the bench jobs run (default: a placeholder step to edit)");
  gha->add_option("--action", opt->action, "The setup action (owner/repo@ref)")
      ->capture_default_str();
  gha->add_option("--install-url", opt->install_url,
                  "A release asset (.deb or .tar.gz) the setup action installs (default: it "
                  "builds perfledger from source, cached)");
  gha->add_flag("--pr-gate", opt->pr_gate,
                "Add a pull-request job: the head against its merge base, a sticky comment, "
                "failing on a regression");
  gha->add_flag("--pages", opt->pages, "Publish the dashboard to GitHub Pages after collect");
  gha->add_flag("--force", opt->force, "Overwrite an existing --out file");
  gha->add_flag("--stdout", opt->to_stdout, "Print the workflow instead of writing it")
      ->excludes(out);
  gha->callback([opt, shell] { RunInitGitHubActions(*opt, shell); });
}

}  // namespace perfledger::cli
