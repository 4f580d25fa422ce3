// Dense ids for account names.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace ledger {

class AccountIndex {
 public:
  int32_t Add(const std::string& account);        // its id, new or existing
  int32_t Find(std::string_view account) const;   // -1 when unknown
  const std::string& Name(int32_t id) const { return names_[static_cast<size_t>(id)]; }
  size_t size() const { return names_.size(); }

 private:
  std::vector<std::string> names_;
  std::unordered_map<std::string, int32_t> ids_;
};

}  // namespace ledger
