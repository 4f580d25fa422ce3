#include "account_index.h"

namespace ledger {

int32_t AccountIndex::Add(const std::string& account) {
  auto [it, inserted] = ids_.emplace(account, static_cast<int32_t>(names_.size()));
  if (inserted) names_.push_back(account);
  return it->second;
}

int32_t AccountIndex::Find(std::string_view account) const {
  auto it = ids_.find(std::string(account));
  return it == ids_.end() ? -1 : it->second;
}

}  // namespace ledger
