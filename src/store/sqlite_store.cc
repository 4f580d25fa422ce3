// Opening a store: the PostgreSQL back end (pg_store.h) for a postgresql:// address, the SQLite
// back end (sqlite_store.h) for a file path.

#include "store/sqlite_store.h"

#include <fmt/format.h>

#include "store/pg_store.h"

namespace perfledger::store {

using base::Result;
using base::Status;

std::string SqliteStore::Describe() const {
  return fmt::format("sqlite {}, schema {}, {}", sqlite3_libversion(), schema_version_, path_);
}

Result<std::unique_ptr<Store>> OpenSqliteStore(const std::string& path,
                                               const OpenOptions& options) {
  auto store = std::make_unique<SqliteStore>(path, options);
  RETURN_IF_ERROR(store->Open());
  return std::unique_ptr<Store>(std::move(store));
}

void LimitCacheMemory(int64_t bytes) { sqlite3_soft_heap_limit64(bytes); }

std::string PrintableLocation(const std::string& location) { return RedactedUri(location); }

Result<std::unique_ptr<Store>> OpenStore(const std::string& location, const OpenOptions& options) {
  if (location.starts_with("postgres://") || location.starts_with("postgresql://")) {
    return OpenPgStore(location, options);
  }
  return OpenSqliteStore(location, options);
}

}  // namespace perfledger::store