// Small string helpers shared by every layer.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace perfledger::base {

// True for exactly 40 hexadecimal digits (a git SHA-1), either case.
bool IsSha1Hex(std::string_view s);

// True for a UUID written 8-4-4-4-12 in hexadecimal digits, either case.
bool IsUuid(std::string_view s);

// Escapes one reference token of a JSON pointer (RFC 6901): "~" -> "~0", "/" -> "~1".
std::string JsonPointerToken(std::string_view token);

// Shortest text that reads back as the same double; integral values within 2^53 print without
// a fraction or exponent ("1830211", not "1830211.0"), so integer samples round-trip as written.
std::string FormatNumber(double v);
// FormatNumber, appended to `out` without a temporary string (the artifact writer's hot path).
void AppendNumber(std::string& out, double v);

// Quotes a string for a one-line message: "abc", with control characters escaped.
std::string Quote(std::string_view s);

// At s[i] (i < s.size()): the length of the well-formed UTF-8 sequence that starts there (The
// Unicode Standard, table 3-7: 1 for ASCII; no overlong forms, no surrogates, nothing above
// U+10FFFF) or, negated, the length of the longest prefix of one (at least 1 byte): the
// "maximal subpart" that one U+FFFD replaces (ibid., section 3.9).
int Utf8SequenceAt(std::string_view s, size_t i);

// True when `s` is well-formed UTF-8 (as JSON text must be, RFC 8259).
bool IsUtf8(std::string_view s);

// Splits on a separator character; empty pieces are kept.
std::vector<std::string> Split(std::string_view s, char sep);

// "a, b, c" from {"a", "b", "c"} with sep ", ".
std::string Join(const std::vector<std::string>& parts, std::string_view sep);

// ASCII lower case.
std::string ToLower(std::string_view s);

// True when `name` matches the shell glob `pattern` (*, ?, [...]; fnmatch without flags).
bool GlobMatch(std::string_view pattern, std::string_view name);

bool StartsWith(std::string_view s, std::string_view prefix);
bool EndsWith(std::string_view s, std::string_view suffix);

// "line:column" (both from 1) of a byte offset into `text`, for syntax errors; an offset past
// the end counts to the end.
std::string LineColumn(std::string_view text, size_t offset);

}  // namespace perfledger::base
