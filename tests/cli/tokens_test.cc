// perfledger token through the real binary: a token is printed once, only its hash is
// stored, lists never show it, and revocation frees its name.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/artifact.h"
#include "subprocess.h"

namespace perfledger {
namespace {

namespace fs = std::filesystem;
using subprocess::Outcome;
using subprocess::RunCommand;

const std::string kBin = PERFLEDGER_BIN;

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

size_t Lines(const std::string& text) { return std::count(text.begin(), text.end(), '\n'); }

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct StoredToken {
  int64_t id = 0;
  std::string project, name, hash, prefix;
  bool revoked = false;
};

class TokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("perfledger-tokens-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    db_ = (dir_ / "perf.db").string();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
  }

  Outcome Pl(std::vector<std::string> args) {
    args.insert(args.begin(), {kBin, "--db", db_});
    return RunCommand(args, dir_.string(), subprocess::LocalMachineEnv());
  }

  // Creates a token and returns it (the one line on stdout).
  std::string Create(const std::string& project, const std::string& name = "") {
    std::vector<std::string> args = {"token", "create", "--project", project};
    if (!name.empty()) args.insert(args.end(), {"--name", name});
    Outcome o = Pl(args);
    EXPECT_EQ(o.exit_code, 0) << o.err;
    EXPECT_EQ(Lines(o.out), 1u) << o.out;
    return o.out.substr(0, o.out.find('\n'));
  }

  // The tokens table, read directly.
  std::vector<StoredToken> Stored() {
    std::vector<StoredToken> out;
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open_v2(db_.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db,
                                 "SELECT id, project, COALESCE(name, ''), hash, prefix, "
                                 "revoked_at IS NOT NULL FROM tokens ORDER BY id",
                                 -1, &st, nullptr),
              SQLITE_OK)
        << sqlite3_errmsg(db);
    while (sqlite3_step(st) == SQLITE_ROW) {
      auto text = [&](int c) {
        return std::string(reinterpret_cast<const char*>(sqlite3_column_text(st, c)));
      };
      out.push_back({sqlite3_column_int64(st, 0), text(1), text(2), text(3), text(4),
                     sqlite3_column_int(st, 5) != 0});
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
  }

  fs::path dir_;
  std::string db_;
};

TEST_F(TokensTest, CreatePrintsTheTokenOnceAndStoresOnlyItsHash) {
  Outcome o = Pl({"token", "create", "--project", "gruel", "--name", "ci"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  ASSERT_EQ(Lines(o.out), 1u) << o.out;
  const std::string token = o.out.substr(0, o.out.size() - 1);
  EXPECT_EQ(token.substr(0, 4), "plt_");
  EXPECT_EQ(token.size(), 47u) << token;
  EXPECT_EQ(token.find_first_not_of(
                "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", 4),
            std::string::npos)
      << token;
  // stderr: one line that says it is shown once and how to send it, without the token.
  EXPECT_EQ(Lines(o.err), 1u) << o.err;
  EXPECT_TRUE(Contains(o.err, "will not be shown again")) << o.err;
  EXPECT_TRUE(Contains(o.err, "Authorization: Bearer <token>")) << o.err;
  EXPECT_TRUE(Contains(o.err, "token 1 ('ci') for project gruel")) << o.err;
  EXPECT_FALSE(Contains(o.err, token));

  auto stored = Stored();
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(stored[0].id, 1);
  EXPECT_EQ(stored[0].project, "gruel");
  EXPECT_EQ(stored[0].name, "ci");
  EXPECT_EQ(stored[0].hash, core::Sha256Hex(token));
  EXPECT_EQ(stored[0].prefix, token.substr(0, 8));
  EXPECT_FALSE(stored[0].revoked);
  // Nowhere in the store's files is the token itself.
  for (const char* suffix : {"", "-wal"}) {
    fs::path p = db_ + suffix;
    if (fs::exists(p)) {
      EXPECT_FALSE(Contains(ReadFile(p), token)) << p;
    }
  }

  // Each create makes a new token; an unnamed one too.
  const std::string second = Create("gruel");
  EXPECT_NE(second, token);
  ASSERT_EQ(Stored().size(), 2u);
  EXPECT_EQ(Stored()[1].name, "");
  EXPECT_EQ(Stored()[1].hash, core::Sha256Hex(second));
}

TEST_F(TokensTest, ListNeverShowsTheTokenOrItsHash) {
  const std::string ci = Create("gruel", "ci");
  const std::string other = Create("other");
  const std::vector<std::string> secrets = {ci, other, core::Sha256Hex(ci), core::Sha256Hex(other)};

  Outcome table = Pl({"token", "list"});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_EQ(Lines(table.out), 3u) << table.out;
  EXPECT_TRUE(Contains(table.out, "ID  PROJECT  NAME  PREFIX    SCOPE  CREATED")) << table.out;
  EXPECT_TRUE(Contains(table.out, ci.substr(0, 8))) << table.out;
  EXPECT_TRUE(Contains(table.out, "never")) << table.out;  // last used

  Outcome json = Pl({"token", "list", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc["tokens"].size(), 2u);
  const auto& first = doc["tokens"][0];
  EXPECT_EQ(first["id"], 1);
  EXPECT_EQ(first["project"], "gruel");
  EXPECT_EQ(first["name"], "ci");
  EXPECT_EQ(first["prefix"], ci.substr(0, 8));
  EXPECT_TRUE(first["created_at"].is_string());
  EXPECT_TRUE(first["last_used_at"].is_null());
  EXPECT_TRUE(first["revoked_at"].is_null());
  EXPECT_TRUE(doc["tokens"][1]["name"].is_null());
  EXPECT_EQ(first["scope"], "write");
  EXPECT_EQ(first.size(), 8u) << first.dump();  // no hash, no token

  Outcome only = Pl({"token", "list", "--project", "other", "--format", "json"});
  ASSERT_EQ(only.exit_code, 0) << only.err;
  auto other_doc = nlohmann::json::parse(only.out);
  ASSERT_EQ(other_doc["tokens"].size(), 1u);
  EXPECT_EQ(other_doc["tokens"][0]["id"], 2);

  for (const Outcome& o : {table, json, only}) {
    for (const std::string& secret : secrets) {
      EXPECT_FALSE(Contains(o.out + o.err, secret)) << secret;
    }
  }

  Outcome none = Pl({"token", "list", "--project", "nope"});
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_TRUE(Contains(none.out, "no tokens for project nope")) << none.out;
}

TEST_F(TokensTest, RevokeMarksTheTokenAndFreesItsName) {
  Create("gruel", "ci");
  Create("gruel", "laptop");
  Outcome o = Pl({"token", "revoke", "1"});
  ASSERT_EQ(o.exit_code, 0) << o.err;
  EXPECT_EQ(o.out, "revoked token 1 ('ci') of project gruel: it no longer authenticates uploads\n");
  auto stored = Stored();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_TRUE(stored[0].revoked);
  EXPECT_FALSE(stored[1].revoked);

  Outcome json = Pl({"token", "list", "--format", "json"});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto doc = nlohmann::json::parse(json.out);
  EXPECT_TRUE(doc["tokens"][0]["revoked_at"].is_string());
  EXPECT_TRUE(doc["tokens"][1]["revoked_at"].is_null());

  // Again: nothing changes, and it says so.
  Outcome again = Pl({"token", "revoke", "1"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_TRUE(Contains(again.out, "token 1 ('ci') of project gruel was already revoked at"))
      << again.out;

  // The name is free again.
  const std::string fresh = Create("gruel", "ci");
  ASSERT_EQ(Stored().size(), 3u);
  EXPECT_EQ(Stored()[2].hash, core::Sha256Hex(fresh));
}

TEST_F(TokensTest, RevokingAnUnknownOrMalformedIdIsBadInput) {
  Create("gruel", "ci");
  Outcome unknown = Pl({"token", "revoke", "42"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_EQ(unknown.err, "error: no token with id 42\n");
  EXPECT_EQ(unknown.out, "");
  Outcome word = Pl({"token", "revoke", "ci"});
  EXPECT_EQ(word.exit_code, 2);
  Outcome missing = Pl({"token", "revoke"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_FALSE(Stored()[0].revoked);
}

TEST_F(TokensTest, ADuplicateNameIsAConflictAndPrintsNoToken) {
  Create("gruel", "ci");
  Outcome dup = Pl({"token", "create", "--project", "gruel", "--name", "ci"});
  EXPECT_EQ(dup.exit_code, 2);
  EXPECT_EQ(dup.out, "");  // nothing stored, so no token to hand out
  EXPECT_EQ(dup.err,
            "error: project 'gruel' already has a token named 'ci' (id 1): choose another name, "
            "or revoke that token first\n");
  EXPECT_EQ(Stored().size(), 1u);
  // The same name in another project is fine.
  Create("other", "ci");
  EXPECT_EQ(Stored().size(), 2u);
}

TEST_F(TokensTest, CreateWithoutAProjectOrWithAnEmptyNameIsBadUsage) {
  Outcome none = Pl({"token", "create", "--name", "ci"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_EQ(none.out, "");
  EXPECT_EQ(Lines(none.err), 1u) << none.err;
  EXPECT_TRUE(Contains(none.err, "error: token create needs --project")) << none.err;
  EXPECT_FALSE(fs::exists(db_));  // refused before the store was touched

  Outcome empty_name = Pl({"token", "create", "--project", "gruel", "--name", ""});
  EXPECT_EQ(empty_name.exit_code, 2);
  EXPECT_EQ(empty_name.out, "");
  EXPECT_TRUE(Contains(empty_name.err, "--name must not be empty")) << empty_name.err;
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(TokensTest, ListingWithoutAStoreIsAnError) {
  Outcome o = Pl({"token", "list"});
  EXPECT_EQ(o.exit_code, 2);
  EXPECT_TRUE(Contains(o.err, "no perfledger store here")) << o.err;
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(TokensTest, TheVerbAndEverySubcommandHaveHelpWithAnExample) {
  for (std::vector<std::string> args : {std::vector<std::string>{"token", "--help"},
                                        {"token", "create", "--help"},
                                        {"token", "list", "--help"},
                                        {"token", "revoke", "--help"}}) {
    Outcome o = Pl(args);
    EXPECT_EQ(o.exit_code, 0) << args[1];
    EXPECT_TRUE(Contains(o.out, "Example:")) << args[1] << ": " << o.out;
    EXPECT_TRUE(Contains(o.out, "perfledger token")) << args[1];
  }
  Outcome top = Pl({"--help"});
  EXPECT_TRUE(Contains(top.out, "token")) << top.out;
  Outcome bare = Pl({"token"});
  EXPECT_EQ(bare.exit_code, 2);
  Outcome unknown = Pl({"token", "frobnicate"});
  EXPECT_EQ(unknown.exit_code, 2);
}

}  // namespace
}  // namespace perfledger

namespace perfledger {
namespace {

TEST_F(TokensTest, AReadScopeIsKeptAndAnUnknownScopeIsBadUsage) {
  Outcome read = Pl({"token", "create", "--project", "gruel", "--name", "dash", "--scope", "read"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  EXPECT_TRUE(Contains(read.err, "(scope read)")) << read.err;
  Outcome json = Pl({"token", "list", "--format", "json"});
  EXPECT_EQ(nlohmann::json::parse(json.out)["tokens"][0]["scope"], "read");
  Outcome admin = Pl({"token", "create", "--project", "gruel", "--scope", "admin"});
  EXPECT_EQ(admin.exit_code, 2);
}

}  // namespace
}  // namespace perfledger
