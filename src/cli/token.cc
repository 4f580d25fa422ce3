// perfledger token: the API tokens the server takes uploads with. A token is printed once,
// when it is created; the store keeps only its SHA-256 and its first characters
// (core/token.h), so neither `token list` nor the store can show it again.
#include "core/token.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/json_writer.h"
#include "base/time.h"
#include "cli/schedule_options.h"
#include "cli/shell.h"

namespace perfledger::cli {
namespace {

// ---- create ----

struct CreateOptions {
  std::string project, name;
  std::string scope = "write";
  bool has_name = false;
};

void RunCreate(const CreateOptions& opt, Shell* shell) {
  if (opt.project.empty()) {
    return shell->UsageError(
        "token create needs --project: the project whose uploads the token allows (e.g. "
        "--project gruel)");
  }
  if (opt.has_name && opt.name.empty()) {
    return shell->UsageError("--name must not be empty (leave it out for an unnamed token)");
  }
  auto now = NowOption("");
  if (!now.ok()) return shell->Fail(now.status());
  auto token = core::NewApiToken();
  if (!token.ok()) return shell->Fail(token.status());
  store::TokenRecord record;
  record.project = opt.project;
  if (opt.has_name) record.name = opt.name;
  record.scope = opt.scope;
  record.hash = core::ApiTokenHash(*token);
  record.prefix = core::ApiTokenDisplayPrefix(*token);
  record.created_at = *now;
  // Creating the store is allowed: a server may be set up before any run is ingested.
  auto store = shell->OpenStore(/*create=*/true);
  if (!store.ok()) return shell->Fail(store.status());
  auto id = (*store)->CreateToken(record);
  if (!id.ok()) return shell->Fail(id.status());
  fmt::print("{}\n", *token);
  std::fflush(stdout);
  fmt::print(stderr,
             "created token {}{} for project {} (scope {}); it will not be shown again: keep it "
             "now (e.g. as a CI secret) and send it as the header 'Authorization: Bearer "
             "<token>'\n",
             *id, opt.has_name ? fmt::format(" ('{}')", opt.name) : std::string(), opt.project,
             opt.scope);
}

// ---- list ----

struct ListOptions {
  std::string project;
  std::string format = "table";
};

void WriteTime(base::JsonWriter& w, const std::optional<base::Timestamp>& t) {
  if (t) {
    w.String(base::FormatRfc3339(*t));
  } else {
    w.Null();
  }
}

void PrintJson(const std::vector<store::TokenRecord>& tokens) {
  base::JsonWriter w;
  w.BeginObject();
  w.Key("tokens").BeginArray();
  for (const auto& t : tokens) {
    w.BeginObject();
    w.Key("id").Int(t.id);
    w.Key("project").String(t.project);
    w.Key("name");
    if (t.name) {
      w.String(*t.name);
    } else {
      w.Null();
    }
    w.Key("prefix").String(t.prefix);
    w.Key("scope").String(t.scope);
    w.Key("created_at").String(base::FormatRfc3339(t.created_at));
    w.Key("last_used_at");
    WriteTime(w, t.last_used_at);
    w.Key("revoked_at");
    WriteTime(w, t.revoked_at);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  fmt::print("{}\n", w.str());
}

// To the second, for the table: "2026-11-22T10:04:00Z".
std::string TimeText(const std::optional<base::Timestamp>& t, const char* none) {
  if (!t) return none;
  constexpr int64_t kSecond = 1'000'000'000;
  int64_t nanos = t->unix_nanos - ((t->unix_nanos % kSecond) + kSecond) % kSecond;
  return base::FormatRfc3339(base::Timestamp{nanos});
}

void PrintTable(const std::vector<store::TokenRecord>& tokens, const std::string& project) {
  if (tokens.empty()) {
    if (project.empty()) {
      fmt::print("no tokens yet (create one: perfledger token create --project P)\n");
    } else {
      fmt::print("no tokens for project {} (create one: perfledger token create --project {})\n",
                 project, project);
    }
    return;
  }
  size_t iw = 2, pw = 7, nw = 4, xw = 6;
  for (const auto& t : tokens) {
    iw = std::max(iw, std::to_string(t.id).size());
    pw = std::max(pw, t.project.size());
    nw = std::max(nw, t.name.value_or("-").size());
    xw = std::max(xw, t.prefix.size());
  }
  constexpr std::string_view kRow = "{:>{}}  {:<{}}  {:<{}}  {:<{}}  {:<5}  {:<20}  {:<20}  {}\n";
  fmt::print(fmt::runtime(kRow), "ID", iw, "PROJECT", pw, "NAME", nw, "PREFIX", xw, "SCOPE",
             "CREATED", "LAST USED", "REVOKED");
  for (const auto& t : tokens) {
    fmt::print(fmt::runtime(kRow), t.id, iw, t.project, pw, t.name.value_or("-"), nw, t.prefix, xw,
               t.scope, TimeText(t.created_at, "-"), TimeText(t.last_used_at, "never"),
               TimeText(t.revoked_at, "-"));
  }
}

void RunList(const ListOptions& opt, Shell* shell) {
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  std::optional<std::string> project;
  if (!opt.project.empty()) project = opt.project;
  auto tokens = (*store)->ListTokens(project);
  if (!tokens.ok()) return shell->Fail(tokens.status());
  if (opt.format == "json") {
    PrintJson(*tokens);
  } else {
    PrintTable(*tokens, opt.project);
  }
}

// ---- revoke ----

void RunRevoke(int64_t id, Shell* shell) {
  auto store = shell->OpenStore(/*create=*/false);
  if (!store.ok()) return shell->Fail(store.status());
  auto now = NowOption("");
  if (!now.ok()) return shell->Fail(now.status());
  if (auto s = (*store)->RevokeToken(id, *now); !s.ok()) return shell->Fail(s);
  auto tokens = (*store)->ListTokens(std::nullopt);
  if (!tokens.ok()) return shell->Fail(tokens.status());
  for (const auto& t : *tokens) {
    if (t.id != id) continue;
    const std::string what =
        fmt::format("token {}{} of project {}", t.id,
                    t.name ? fmt::format(" ('{}')", *t.name) : std::string(), t.project);
    if (t.revoked_at && *t.revoked_at != *now) {
      fmt::print("{} was already revoked at {}\n", what, TimeText(t.revoked_at, "-"));
    } else {
      fmt::print("revoked {}: it no longer authenticates uploads\n", what);
    }
  }
}

}  // namespace

void AddTokenVerb(CLI::App& app, Shell* shell) {
  CLI::App* cmd = app.add_subcommand("token", "Create, list and revoke API tokens for uploads");
  cmd->require_subcommand(1);
  cmd->footer(
      "Writes to the perfledger server (uploads, alert triage) need a bearer token of their\n"
      "project with the write scope, sent as 'Authorization: Bearer <token>'; a read token\n"
      "only reads a --private server. `token create` prints a new token once; the\n"
      "store keeps only its SHA-256 and its first 8 characters (the PREFIX `token list`\n"
      "shows), so a lost token cannot be shown again: revoke it and create another.\n\n"
      "Example:\n"
      "  perfledger token create --project gruel --name ci\n"
      "  perfledger token list --project gruel\n"
      "  perfledger token revoke 3");

  auto create = std::make_shared<CreateOptions>();
  CLI::App* c = cmd->add_subcommand("create", "Create a token and print it, once");
  c->footer(
      "Prints the token alone on stdout, so it can go straight into a secret store; stderr says\n"
      "how to use it. Names are unique per project among tokens not revoked.\n\n"
      "Example:\n"
      "  perfledger token create --project gruel --name ci | gh secret set PERFLEDGER_TOKEN\n"
      "  perfledger token create --project gruel --name dashboard --scope read");
  c->add_option("--project", create->project, "The project whose uploads the token allows");
  c->add_option("--name", create->name, "A name to tell the token apart, e.g. ci");
  c->add_option("--scope", create->scope,
                "write (default: uploads, alert triage and reads) or read (reads of a --private "
                "server only)")
      ->check(CLI::IsMember({"read", "write"}));
  c->callback([create, shell, c] {
    create->has_name = c->count("--name") > 0;
    RunCreate(*create, shell);
  });

  auto list = std::make_shared<ListOptions>();
  CLI::App* l = cmd->add_subcommand("list", "List tokens: never the token itself");
  l->footer(
      "Revoked tokens are listed too, with when they were revoked.\n\n"
      "JSON: {\"tokens\": [{id, project, name (or null), prefix, scope, created_at,\n"
      "last_used_at, revoked_at}]}.\n\n"
      "Example:\n"
      "  perfledger token list --project gruel\n"
      "  perfledger token list --format json | jq '.tokens[] | select(.revoked_at == null)'");
  l->add_option("--project", list->project, "Only this project's tokens");
  l->add_option("--format", list->format, "table or json")->check(CLI::IsMember({"table", "json"}));
  l->callback([list, shell] { RunList(*list, shell); });

  auto id = std::make_shared<int64_t>(0);
  CLI::App* r = cmd->add_subcommand("revoke", "Revoke a token: it no longer authenticates");
  r->footer(
      "Revoking a revoked token again changes nothing. The name of a revoked token is free for\n"
      "a new one.\n\n"
      "Example:\n"
      "  perfledger token revoke 3");
  r->add_option("ID", *id, "The token's id (perfledger token list shows them)")->required();
  r->callback([id, shell] { RunRevoke(*id, shell); });
}

}  // namespace perfledger::cli
