// The store test suite, API tokens: stored as hashes, found, revoked, unique names.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <functional>
#include <limits>
#include <mutex>
#include <thread>

#include "base/uuid.h"
#include "core/artifact.h"
#include "store/collector.h"
#include "store/store_test_fixture.h"
namespace perfledger::store {
namespace {

using namespace test_support;  // NOLINT(build/namespaces): the suite's fixture

// API tokens (store.h TokenRecord).

TokenRecord SampleToken(int i, const std::string& project = "gruel",
                        std::optional<std::string> name = std::nullopt) {
  const std::string token = "plt_token-number-" + std::to_string(i);
  TokenRecord t;
  t.project = project;
  t.name = std::move(name);
  t.hash = core::Sha256Hex(token);
  t.prefix = token.substr(0, 8);
  t.created_at = base::Timestamp{1'700'000'000'000'000'000LL + i};
  return t;
}

void ExpectSameToken(const TokenRecord& got, const TokenRecord& want) {
  EXPECT_EQ(got.id, want.id);
  EXPECT_EQ(got.scope, want.scope);
  EXPECT_EQ(got.project, want.project);
  EXPECT_EQ(got.name, want.name);
  EXPECT_EQ(got.hash, want.hash);
  EXPECT_EQ(got.prefix, want.prefix);
  EXPECT_EQ(got.created_at, want.created_at);
  EXPECT_EQ(got.last_used_at, want.last_used_at);
  EXPECT_EQ(got.revoked_at, want.revoked_at);
}

TEST_P(StoreTest, TokensComeBackWithEveryFieldAndAreFoundByHash) {
  std::vector<TokenRecord> tokens = {SampleToken(0, "gruel", "ci"), SampleToken(1, "other"),
                                     SampleToken(2, "gruel", "laptop")};
  tokens[2].scope = "read";
  {
    auto store = Open();
    EXPECT_TRUE(store->ListTokens(std::nullopt)->empty());
    for (size_t i = 0; i < tokens.size(); ++i) {
      TokenRecord given = tokens[i];
      given.id = 99;  // ignored, like the times CreateToken does not set
      given.last_used_at = base::Timestamp{5};
      given.revoked_at = base::Timestamp{6};
      auto id = store->CreateToken(given);
      ASSERT_TRUE(id.ok()) << id.status().ToString();
      EXPECT_EQ(*id, static_cast<int64_t>(i + 1));
      tokens[i].id = *id;
    }
  }
  auto store = Open();  // and it all survives reopening
  auto all = store->ListTokens(std::nullopt);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 3u);
  for (size_t i = 0; i < tokens.size(); ++i) {
    SCOPED_TRACE(i);
    ExpectSameToken((*all)[i], tokens[i]);
  }
  EXPECT_EQ((*all)[1].name, std::nullopt);

  auto gruel = store->ListTokens("gruel");
  ASSERT_TRUE(gruel.ok());
  ASSERT_EQ(gruel->size(), 2u);
  EXPECT_EQ((*gruel)[0].id, 1);
  EXPECT_EQ((*gruel)[1].id, 3);
  EXPECT_TRUE(store->ListTokens("nope")->empty());

  auto found = store->FindTokenByHash(core::Sha256Hex("plt_token-number-2"));
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  ASSERT_TRUE(found->has_value());
  ExpectSameToken(**found, tokens[2]);
  auto unknown = store->FindTokenByHash(core::Sha256Hex("plt_token-number-7"));
  ASSERT_TRUE(unknown.ok());
  EXPECT_FALSE(unknown->has_value());
  // The token itself is not its hash: looking it up finds nothing.
  EXPECT_FALSE(store->FindTokenByHash("plt_token-number-2")->has_value());
}

TEST_P(StoreTest, ARevokedTokenIsNotFoundAndRevokingAgainKeepsTheFirstTime) {
  auto store = Open();
  ASSERT_TRUE(store->CreateToken(SampleToken(0, "gruel", "ci")).ok());
  ASSERT_TRUE(store->CreateToken(SampleToken(1, "gruel", "other")).ok());
  const std::string hash = core::Sha256Hex("plt_token-number-0");
  ASSERT_TRUE(store->FindTokenByHash(hash)->has_value());

  ASSERT_TRUE(store->RevokeToken(1, base::Timestamp{100}).ok());
  EXPECT_FALSE(store->FindTokenByHash(hash)->has_value());
  auto listed = store->ListTokens(std::nullopt);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);  // revoked tokens are still listed
  EXPECT_EQ((*listed)[0].revoked_at, base::Timestamp{100});
  EXPECT_EQ((*listed)[1].revoked_at, std::nullopt);  // the other one is untouched
  EXPECT_TRUE(store->FindTokenByHash(core::Sha256Hex("plt_token-number-1"))->has_value());

  // Again: fine, and the first revocation time stays.
  ASSERT_TRUE(store->RevokeToken(1, base::Timestamp{200}).ok());
  EXPECT_EQ(store->ListTokens(std::nullopt)->at(0).revoked_at, base::Timestamp{100});

  auto unknown = store->RevokeToken(7, base::Timestamp{300});
  EXPECT_EQ(unknown.code(), base::StatusCode::kNotFound);
  EXPECT_EQ(unknown.message(), "no token with id 7");
}

TEST_P(StoreTest, TokenNamesAreUniquePerProjectAmongTokensNotRevoked) {
  auto store = Open();
  ASSERT_TRUE(store->CreateToken(SampleToken(0, "gruel", "ci")).ok());
  auto again = store->CreateToken(SampleToken(1, "gruel", "ci"));
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), base::StatusCode::kConflict);
  EXPECT_EQ(again.status().message(),
            "project 'gruel' already has a token named 'ci' (id 1): choose another name, or "
            "revoke that token first");
  // Another project may use the name, and unnamed tokens never collide.
  EXPECT_TRUE(store->CreateToken(SampleToken(2, "other", "ci")).ok());
  EXPECT_TRUE(store->CreateToken(SampleToken(3, "gruel")).ok());
  EXPECT_TRUE(store->CreateToken(SampleToken(4, "gruel")).ok());
  // Once revoked, the name is free again.
  ASSERT_TRUE(store->RevokeToken(1, base::Timestamp{10}).ok());
  auto reused = store->CreateToken(SampleToken(5, "gruel", "ci"));
  ASSERT_TRUE(reused.ok()) << reused.status().ToString();
  EXPECT_EQ(*reused, 5);  // the failed call used no id
  // The table refuses a second active name even when written directly.
  EXPECT_FALSE(
      ExecRaw("INSERT INTO tokens (project, name, hash, prefix, created_at) VALUES "
              "('gruel', 'ci', 'x', 'plt_', 1)"));
  EXPECT_EQ(store->ListTokens("gruel")->size(), 4u);
}

TEST_P(StoreTest, InvalidTokensAreRefusedAndNothingIsWritten) {
  auto store = Open();
  TokenRecord no_project = SampleToken(0, "");
  EXPECT_EQ(store->CreateToken(no_project).status().code(), base::StatusCode::kInvalidInput);
  TokenRecord empty_name = SampleToken(0, "gruel", "");
  EXPECT_EQ(store->CreateToken(empty_name).status().code(), base::StatusCode::kInvalidInput);
  TokenRecord raw = SampleToken(0);
  raw.hash = "plt_token-number-0";  // the token itself, not its hash
  auto refused = store->CreateToken(raw);
  EXPECT_EQ(refused.status().code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(Contains(refused.status().message(), "64 lower-case hex digits"))
      << refused.status().message();
  TokenRecord upper = SampleToken(0);
  for (char& c : upper.hash) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(store->CreateToken(upper).status().code(), base::StatusCode::kInvalidInput);
  TokenRecord no_prefix = SampleToken(0);
  no_prefix.prefix.clear();
  EXPECT_EQ(store->CreateToken(no_prefix).status().code(), base::StatusCode::kInvalidInput);
  TokenRecord admin = SampleToken(0);
  admin.scope = "admin";
  EXPECT_EQ(store->CreateToken(admin).status().code(), base::StatusCode::kInvalidInput);
  EXPECT_TRUE(store->ListTokens(std::nullopt)->empty());

  // The same hash twice is a conflict, whatever the project.
  ASSERT_TRUE(store->CreateToken(SampleToken(0)).ok());
  auto twice = store->CreateToken(SampleToken(0, "other", "x"));
  EXPECT_EQ(twice.status().code(), base::StatusCode::kConflict);
  EXPECT_EQ(store->ListTokens(std::nullopt)->size(), 1u);
}

TEST_F(SqliteStoreTest, AVersion4StoreIsMigratedKeepingItsRunsAndAlerts) {
  core::Run old = EpochRun(0);
  std::vector<AlertRecord> alerts = {SampleAlert(0)};
  {
    auto store = Open();
    ASSERT_TRUE(store->Ingest({&old, 1}).ok());
    ASSERT_TRUE(store->RecordAlerts(alerts, {}).ok());
  }
  // Back to schema 4 as the previous release left it.
  ASSERT_TRUE(test_support::UndoSchemasDownTo(path_, 4));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_NE(store->Describe().find("schema 14"), std::string::npos) << store->Describe();
  auto back = All(*store);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0], old);
  EXPECT_EQ(store->ListEpochs({})->size(), 1u);
  auto kept = store->ListAlerts({});
  ASSERT_TRUE(kept.ok()) << kept.status().ToString();
  ASSERT_EQ(kept->size(), 1u);
  ExpectSameAlert((*kept)[0], alerts[0]);
  EXPECT_TRUE(store->ListTokens(std::nullopt)->empty());
  auto id = store->CreateToken(SampleToken(0, "gruel", "ci"));
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(*id, 1);
  EXPECT_TRUE(store->FindTokenByHash(core::Sha256Hex("plt_token-number-0"))->has_value());
}

TEST_F(SqliteStoreTest, AVersion5StoresTokensKeepTheirRightToWrite) {
  {
    auto store = Open();
    ASSERT_TRUE(store->CreateToken(SampleToken(0, "gruel", "ci")).ok());
  }
  // Back to schema 5 as the previous release left it: tokens without a scope.
  ASSERT_TRUE(test_support::UndoSchemasDownTo(path_, 5));
  auto store = Open();
  ASSERT_NE(store, nullptr);
  EXPECT_NE(store->Describe().find("schema 14"), std::string::npos) << store->Describe();
  auto tokens = store->ListTokens(std::nullopt);
  ASSERT_TRUE(tokens.ok());
  ASSERT_EQ(tokens->size(), 1u);
  EXPECT_EQ((*tokens)[0].scope, "write");
}

}  // namespace
}  // namespace perfledger::store
