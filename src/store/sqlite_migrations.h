// The SQLite back end's schema, as numbered migrations applied in order, each in the same
// transaction as the version bump. A migration is never edited once released: a change to
// the schema is a new migration.
#pragma once

#include <span>
#include <string_view>

namespace perfledger::store {

struct Migration {
  int version;
  std::string_view sql;
};

std::span<const Migration> SqliteMigrations();

// PRAGMA application_id of every perfledger SQLite store: "PfLg".
inline constexpr int kSqliteApplicationId = 0x50664c67;

}  // namespace perfledger::store
