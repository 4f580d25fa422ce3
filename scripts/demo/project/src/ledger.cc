#include "ledger.h"

#include <algorithm>
#include <charconv>

namespace ledger {

std::vector<Record> ParseCsv(std::string_view text) {
  std::vector<Record> out;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    const size_t a = line.find(',');
    if (a == std::string_view::npos) continue;
    const size_t b = line.find(',', a + 1);
    if (b == std::string_view::npos) continue;
    Record r;
    r.account = std::string(line.substr(0, a));
    const std::string_view amount = line.substr(a + 1, b - a - 1), day = line.substr(b + 1);
    if (std::from_chars(amount.data(), amount.data() + amount.size(), r.amount_cents).ec !=
        std::errc()) {
      continue;
    }
    if (std::from_chars(day.data(), day.data() + day.size(), r.day).ec != std::errc()) continue;
    out.push_back(std::move(r));
  }
  return out;
}

void SortRecords(std::vector<Record>& records) {
  std::sort(records.begin(), records.end(), [](const Record& x, const Record& y) {
    return x.account != y.account ? x.account < y.account : x.day < y.day;
  });
}

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t j = i;
    while (j < text.size() && text[j] != ' ') ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

uint64_t Checksum(std::string_view data) {
  uint64_t h = 14695981039346656037ull;
  for (const unsigned char c : data) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace ledger
