#include "adapters/bench_text.h"

#include <cctype>
#include <charconv>

#include "base/strings.h"

namespace perfledger::adapters::bench_text {

std::vector<std::string_view> Lines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    lines.push_back(line);
    if (end == text.size()) break;
    start = end + 1;
  }
  return lines;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

bool Consume(std::string_view& s, std::string_view prefix) {
  if (!base::StartsWith(s, prefix)) return false;
  s.remove_prefix(prefix.size());
  return true;
}

std::optional<double> TakeNumber(std::string_view& s) {
  std::string digits;
  size_t i = 0;
  if (i >= s.size() || !std::isdigit(static_cast<unsigned char>(s[i]))) return std::nullopt;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == ',')) {
    if (s[i] != ',') digits += s[i];
    ++i;
  }
  if (i + 1 < s.size() && s[i] == '.' && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
    digits += s[i++];
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) digits += s[i++];
  }
  double v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  s.remove_prefix(i);
  return v;
}

std::optional<Estimate> ParseEstimate(std::string_view rest) {
  Estimate e;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  auto value = TakeNumber(rest);
  if (!value || !Consume(rest, " ")) return std::nullopt;
  e.value = *value;
  const size_t slash = rest.find("/iter");
  if (slash == 0 || slash == std::string_view::npos) return std::nullopt;
  e.unit = std::string(rest.substr(0, slash));
  if (e.unit.find(' ') != std::string::npos) return std::nullopt;
  rest.remove_prefix(slash + 5);
  if (!Consume(rest, " (+/- ")) return std::nullopt;
  auto plus_minus = TakeNumber(rest);
  if (!plus_minus || !Consume(rest, ")")) return std::nullopt;
  e.plus_minus = *plus_minus;
  rest = Trim(rest);
  if (!rest.empty()) {
    if (!Consume(rest, "= ")) return std::nullopt;
    auto mb = TakeNumber(rest);
    if (!mb || Trim(rest) != "MB/s") return std::nullopt;
    e.mb_per_s = *mb;
  }
  return e;
}

bool SplitTestLine(std::string_view line, std::string_view* id, std::string_view* result) {
  if (!base::StartsWith(line, "test ") || base::StartsWith(line, "test result:")) return false;
  size_t sep = line.rfind(" ... bench:");
  if (sep == std::string_view::npos) sep = line.rfind(" ... ");
  if (sep == std::string_view::npos) {
    // "test ID ..." at the very end of a line, the trailing space trimmed away.
    if (!base::EndsWith(line, " ...")) return false;
    sep = line.size() - 4;
  }
  if (sep < 5) return false;
  *id = Trim(line.substr(5, sep - 5));
  *result = sep + 5 <= line.size() ? Trim(line.substr(sep + 5)) : std::string_view();
  return !id->empty();
}

std::optional<int64_t> RunningCount(std::string_view line) {
  if (!Consume(line, "running ")) return std::nullopt;
  int64_t n = 0;
  auto [ptr, ec] = std::from_chars(line.data(), line.data() + line.size(), n);
  if (ec != std::errc()) return std::nullopt;
  std::string_view tail(ptr, static_cast<size_t>(line.data() + line.size() - ptr));
  if (tail != " tests" && tail != " test") return std::nullopt;
  return n;
}

Signs ScanSigns(std::string_view text) {
  Signs signs;
  bool any_running = false, outside_block = false, in_block = false;
  for (std::string_view line : Lines(text)) {
    if (auto n = RunningCount(line)) {
      any_running = true;
      in_block = *n > 0;
      continue;
    }
    if (base::StartsWith(line, "test result:")) {
      in_block = false;
      continue;
    }
    if (base::StartsWith(line, "Gnuplot not found") || base::StartsWith(line, "Benchmarking ") ||
        base::StartsWith(line, "Warning: Unable to complete") ||
        base::StartsWith(line, "WARNING: HTML report generation")) {
      signs.criterion = true;
      continue;
    }
    std::string_view id, result;
    if (!SplitTestLine(line, &id, &result) || !base::StartsWith(result, "bench:")) continue;
    auto e = ParseEstimate(result.substr(6));
    if (!e) continue;
    signs.any_bench = true;
    if (in_block || e->mb_per_s) signs.libtest = true;
    if (!in_block) outside_block = true;
    if (id.find(' ') != std::string_view::npos) signs.criterion = true;
  }
  if (any_running && outside_block) signs.criterion = true;
  return signs;
}

}  // namespace perfledger::adapters::bench_text
