#include "base/time.h"

#include <fmt/format.h>

#include <cctype>
#include <chrono>

namespace perfledger::base {
namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "chrono-Compatible
// Low-Level Date Algorithms", days_from_civil).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

// The inverse of DaysFromCivil (civil_from_days).
void CivilFromDays(int64_t z, int64_t* y, unsigned* m, unsigned* d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  *d = doy - (153 * mp + 2) / 5 + 1;
  *m = mp < 10 ? mp + 3 : mp - 9;
  *y = static_cast<int64_t>(yoe) + era * 400 + (*m <= 2);
}

bool IsLeap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

unsigned DaysInMonth(int64_t y, unsigned m) {
  static constexpr unsigned kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Reads exactly `n` digits at `*pos`.
bool Digits(std::string_view s, size_t* pos, int n, int* out) {
  if (*pos + n > s.size()) return false;
  int v = 0;
  for (int i = 0; i < n; ++i) {
    char c = s[*pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *pos += n;
  *out = v;
  return true;
}

bool Expect(std::string_view s, size_t* pos, char c) {
  if (*pos >= s.size() || s[*pos] != c) return false;
  ++*pos;
  return true;
}

}  // namespace

Result<Timestamp> ParseRfc3339(std::string_view s) {
  auto bad = [&] {
    return InvalidInput(fmt::format(
        "expected an RFC 3339 date-time such as \"2026-11-22T10:04:00Z\", got \"{}\"", s));
  };
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!Digits(s, &pos, 4, &year) || !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &month) ||
      !Expect(s, &pos, '-') || !Digits(s, &pos, 2, &day)) {
    return bad();
  }
  if (pos >= s.size() || (s[pos] != 'T' && s[pos] != 't')) return bad();
  ++pos;
  if (!Digits(s, &pos, 2, &hour) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &minute) ||
      !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &second)) {
    return bad();
  }
  if (month < 1 || month > 12 || day < 1 ||
      static_cast<unsigned>(day) > DaysInMonth(year, static_cast<unsigned>(month)) || hour > 23 ||
      minute > 59 || second > 60) {
    return InvalidInput(fmt::format(
        "expected an RFC 3339 date-time, got \"{}\", which names no such date or time", s));
  }
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 9; ++i) nanos *= 10;
  }
  int64_t offset_seconds = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '+' ? 1 : -1;
    ++pos;
    int oh, om;
    if (!Digits(s, &pos, 2, &oh) || !Expect(s, &pos, ':') || !Digits(s, &pos, 2, &om) || oh > 23 ||
        om > 59) {
      return bad();
    }
    offset_seconds = sign * (oh * 3600 + om * 60);
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  if (second == 60) second = 59;  // a leap second is read as the second before it
  const int64_t days =
      DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
  // Nanoseconds since 1970 in 64 bits reach from 1677-09-21 to 2262-04-11; beyond that a time
  // would wrap around (and a request that names 9999-12-31 must not crash the server).
  constexpr int64_t kMaxSeconds = INT64_MAX / 1'000'000'000 - 1;
  if (secs < -kMaxSeconds || secs > kMaxSeconds) {
    return InvalidInput(
        fmt::format("expected an RFC 3339 date-time from the years 1678 to 2261, got \"{}\"", s));
  }
  return Timestamp{secs * 1'000'000'000 + nanos};
}

std::string FormatRfc3339(Timestamp t) {
  int64_t secs = t.unix_nanos / 1'000'000'000;
  int64_t nanos = t.unix_nanos % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    --secs;
  }
  int64_t days = secs / 86400;
  int64_t rem = secs % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, &y, &m, &d);
  // Written digit by digit: a series of 100,000 points formats as many times. int64
  // nanoseconds reach from 1677 to 2262, so the year has four digits.
  char out[31];  // 2026-11-22T10:04:00.123456789Z
  auto put = [&out](size_t at, int64_t n, int width) {
    for (int i = width - 1; i >= 0; --i, n /= 10) out[at + i] = static_cast<char>('0' + n % 10);
  };
  put(0, y, 4);
  out[4] = '-';
  put(5, m, 2);
  out[7] = '-';
  put(8, d, 2);
  out[10] = 'T';
  put(11, rem / 3600, 2);
  out[13] = ':';
  put(14, (rem / 60) % 60, 2);
  out[16] = ':';
  put(17, rem % 60, 2);
  size_t size = 19;
  if (nanos != 0) {
    out[size++] = '.';
    if (nanos % 1'000'000 == 0) {
      put(size, nanos / 1'000'000, 3);
      size += 3;
    } else if (nanos % 1'000 == 0) {
      put(size, nanos / 1'000, 6);
      size += 6;
    } else {
      put(size, nanos, 9);
      size += 9;
    }
  }
  out[size++] = 'Z';
  return std::string(out, size);
}

Result<int64_t> ParseDuration(std::string_view text) {
  auto bad = [&] {
    return InvalidInput(fmt::format(
        "expected a duration such as \"90s\", \"15m\", \"1h30m\" or \"2d\", got \"{}\"", text));
  };
  if (text.empty()) return bad();
  int64_t total = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    int64_t n = 0;
    size_t digits = 0;
    while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
      if (n > 1'000'000'000) return bad();
      n = n * 10 + (text[pos++] - '0');
      ++digits;
    }
    if (digits == 0) return bad();
    size_t unit_start = pos;
    while (pos < text.size() && std::isalpha(static_cast<unsigned char>(text[pos]))) ++pos;
    std::string_view unit = text.substr(unit_start, pos - unit_start);
    int64_t scale;
    if (unit == "ms") {
      scale = 1'000'000;
    } else if (unit == "s") {
      scale = 1'000'000'000;
    } else if (unit == "m") {
      scale = 60'000'000'000;
    } else if (unit == "h") {
      scale = 3'600'000'000'000;
    } else if (unit == "d") {
      scale = 86'400'000'000'000;
    } else {
      return bad();
    }
    // At most a year and a month, checked before multiplying so nothing overflows.
    constexpr int64_t kMaxNanos = 400LL * 86'400'000'000'000;
    if (n > kMaxNanos / scale) return bad();
    total += n * scale;
    if (total > kMaxNanos) return bad();
  }
  return total;
}

Timestamp SystemNow() {
  return Timestamp{std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count()};
}

ScaledTime ScaleNanos(double nanos) {
  static constexpr std::pair<const char*, double> kUnits[] = {
      {"s", 1e9}, {"ms", 1e6}, {"\xC2\xB5s", 1e3}};
  for (const auto& [unit, scale] : kUnits) {
    // 999.97 us is "1 ms" at the 4 significant digits tables print, not "1000 us".
    if (nanos >= scale * (1 - 5e-5)) return {nanos / scale, unit};
  }
  return {nanos, "ns"};
}

std::string FormatDuration(int64_t nanos) {
  if (nanos % 1'000'000'000 != 0) return fmt::format("{}ms", nanos / 1'000'000);
  int64_t s = nanos / 1'000'000'000;
  std::string out;
  const std::pair<int64_t, const char*> units[] = {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}};
  for (const auto& [size, name] : units) {
    if (s >= size) {
      out += fmt::format("{}{}", s / size, name);
      s %= size;
    }
  }
  return out.empty() ? "0s" : out;
}

}  // namespace perfledger::base
