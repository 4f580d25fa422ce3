#include "core/json_reading.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace perfledger::core::json {
namespace {

using base::LineColumn;

base::Status At(base::Status s, std::string_view source, std::string pointer) {
  base::Location where;
  where.source = std::string(source);
  where.pointer = std::move(pointer);
  where.has_pointer = true;
  return s.WithLocation(std::move(where));
}

// Where simdjson only says "not valid JSON", nlohmann's parser gives the byte offset, which
// becomes line and column. Only on the error path.
// The first number token outside strings that simdjson cannot hold (an integer beyond 64
// bits): its offset, or npos.
size_t OversizedNumber(std::string_view json) {
  bool in_string = false;
  for (size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      size_t j = i + (c == '-' ? 1 : 0);
      size_t digits = 0;
      while (j < json.size() && json[j] >= '0' && json[j] <= '9') {
        ++j;
        ++digits;
      }
      const bool integer = j >= json.size() || (json[j] != '.' && json[j] != 'e' && json[j] != 'E');
      if (integer) {
        // Beyond int64 (negative) or uint64 (positive), compared as digit strings of one length.
        const bool negative = c == '-';
        const std::string_view d = json.substr(negative ? i + 1 : i, digits);
        if (digits > 20 || (negative && digits == 20) ||
            (negative && digits == 19 && d > "9223372036854775808") ||
            (!negative && digits == 20 && d > "18446744073709551615")) {
          return i;
        }
      }
      i = j - 1;
    }
  }
  return std::string_view::npos;
}

}  // namespace

base::Status SyntaxError(std::string_view json, std::string_view source,
                         simdjson::error_code simdjson_error) {
  try {
    [[maybe_unused]] auto parsed = nlohmann::json::parse(json.begin(), json.end());
    if (const size_t at = OversizedNumber(json); at != std::string_view::npos) {
      size_t end = at + 1;
      while (end < json.size() && json[end] >= '0' && json[end] <= '9') ++end;
      const std::string_view token = json.substr(at, end - at);
      return base::InvalidInput(fmt::format(
          "{}:{}: a whole number too large to read exactly ({}{}, {} digits); write it as a "
          "decimal like 1.5e30 or as a string",
          source, LineColumn(json, at), token.substr(0, 12), token.size() > 12 ? "..." : "",
          token.size() - (token.starts_with('-') ? 1 : 0)));
    }
    return base::InvalidInput(
        fmt::format("{}: invalid JSON: {}", source, simdjson::error_message(simdjson_error)));
  } catch (const nlohmann::json::parse_error& e) {
    const size_t offset = std::min(e.byte == 0 ? 0 : e.byte - 1, json.size());
    const std::string where = fmt::format("{}:{}", source, LineColumn(json, offset));
    if (std::string_view(e.what()).find("surrogate") != std::string_view::npos) {
      // The \uD800-\uDFFF escape the parser stopped after.
      size_t esc = json.rfind("\\u", offset);
      const std::string_view escape =
          esc == std::string_view::npos ? std::string_view() : json.substr(esc, 6);
      return base::InvalidInput(fmt::format(
          "{}:{}: invalid JSON: a lone UTF-16 surrogate {} (half of a character: a \\uD800-"
          "\\uDBFF escape must be followed by a \\uDC00-\\uDFFF one)",
          source, LineColumn(json, esc == std::string_view::npos ? offset : esc), escape));
    }
    if (offset >= json.size()) {
      return base::InvalidInput(
          fmt::format("{}: invalid JSON: unexpected end of input (is the file truncated?)", where));
    }
    // The token the parser stopped in: back to its start, then forward to its end.
    auto word = [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '+' || c == '-' ||
             c == '_';
    };
    size_t begin = offset;
    while (begin > 0 && word(json[begin - 1]) && word(json[begin])) --begin;
    size_t stop = begin;
    while (stop < json.size() && word(json[stop]) && stop - begin < 24) ++stop;
    std::string token(json.substr(begin, std::max<size_t>(stop - begin, 1)));
    if (token == "NaN" || token == "Infinity" || token == "-Infinity" || token == "-NaN") {
      return base::InvalidInput(
          fmt::format("{}:{}: expected a finite number, got {} (JSON has no NaN or Infinity)",
                      source, LineColumn(json, begin), token));
    }
    std::string what = e.what();
    size_t expected = what.rfind("; expected ");
    return base::InvalidInput(fmt::format(
        "{}:{}: invalid JSON: unexpected {}{}", source, LineColumn(json, begin), base::Quote(token),
        expected == std::string::npos ? "" : what.substr(expected)));
  } catch (const nlohmann::json::out_of_range& e) {
    // "number overflow parsing '1e999'": a number beyond the range of a double.
    std::string what = e.what();
    size_t open = what.find('\'');
    size_t close = open == std::string::npos ? open : what.find('\'', open + 1);
    if (close != std::string::npos) {
      std::string token = what.substr(open + 1, close - open - 1);
      size_t at = json.find(token);
      return base::InvalidInput(
          fmt::format("{}:{}: expected a finite number, got {} (out of range)", source,
                      LineColumn(json, at), token));
    }
    return base::InvalidInput(fmt::format("{}: expected finite numbers: {}", source, what));
  } catch (const std::exception& e) {
    return base::InvalidInput(fmt::format("{}: invalid JSON: {}", source, e.what()));
  }
}

Context::Scope::Scope(Context* ctx, std::string_view key) : ctx_(ctx), size_(ctx->pointer_.size()) {
  ctx_->pointer_ += '/';
  ctx_->pointer_ += base::JsonPointerToken(key);
}

Context::Scope::Scope(Context* ctx, size_t index) : ctx_(ctx), size_(ctx->pointer_.size()) {
  fmt::format_to(std::back_inserter(ctx_->pointer_), "/{}", index);
}

base::Status Context::FailAt(std::string_view below, std::string_view what) const {
  std::string pointer = pointer_ + std::string(below);
  // The message first: At takes the pointer by value (argument order is unspecified).
  base::Status s = base::InvalidInput(
      fmt::format("{}: {}: {}", source_, pointer.empty() ? "(document root)" : pointer, what));
  return At(std::move(s), source_, std::move(pointer));
}

base::Status Context::Missing(std::string_view key, std::string_view expected) const {
  std::string pointer = pointer_ + "/" + base::JsonPointerToken(key);
  base::Status s = base::InvalidInput(
      fmt::format("{}: {}: {} (expected {})", source_, pointer, missing_, expected));
  return At(std::move(s), source_, std::move(pointer));
}

std::string Describe(element e) {
  switch (e.type()) {
    case element_type::ARRAY:
      return "an array";
    case element_type::OBJECT:
      return "an object";
    case element_type::STRING: {
      std::string_view s = e.get_string().value_unsafe();
      if (s.size() > 48) return fmt::format("a string ({}...)", base::Quote(s.substr(0, 45)));
      return fmt::format("a string ({})", base::Quote(s));
    }
    case element_type::INT64:
      return fmt::format("the number {}", e.get_int64().value_unsafe());
    case element_type::UINT64:
      return fmt::format("the number {}", e.get_uint64().value_unsafe());
    case element_type::DOUBLE:
      return fmt::format("the number {}", base::FormatNumber(e.get_double().value_unsafe()));
    case element_type::BOOL:
      return e.get_bool().value_unsafe() ? "true" : "false";
    case element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

base::Status Expected(const Context& ctx, std::string_view what, element got) {
  return ctx.Fail(fmt::format("expected {}, got {}", what, Describe(got)));
}

bool Lookup(simdjson::dom::object obj, std::string_view key, element* out) {
  return obj.at_key(key).get(*out) == simdjson::SUCCESS;
}

bool IsNumber(element e) {
  const element_type t = e.type();
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

double NumberValue(element e) {
  switch (e.type()) {
    case element_type::INT64:
      return static_cast<double>(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return static_cast<double>(e.get_uint64().value_unsafe());
    default:
      return e.get_double().value_unsafe();
  }
}

std::optional<double> FiniteNumber(element e) {
  if (!IsNumber(e)) return std::nullopt;
  const double v = NumberValue(e);
  if (!std::isfinite(v)) return std::nullopt;
  return v;
}

}  // namespace perfledger::core::json
