// ledger: read, sort and summarise transaction records.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ledger {

struct Record {
  std::string account;
  int64_t amount_cents = 0;
  int32_t day = 0;
};

// Parses "account,amount_cents,day" lines; malformed lines are skipped.
std::vector<Record> ParseCsv(std::string_view text);

void SortRecords(std::vector<Record>& records);

// Splits on spaces, dropping empty words.
std::vector<std::string_view> SplitWords(std::string_view text);

// 64-bit FNV-1a of the bytes.
uint64_t Checksum(std::string_view data);

}  // namespace ledger
