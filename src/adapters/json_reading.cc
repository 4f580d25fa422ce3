#include "adapters/json_reading.h"

#include <fmt/format.h>

#include <cmath>

#include "base/strings.h"

namespace perfledger::adapters::json {

Context::Scope::Scope(Context* ctx, std::string_view key) : ctx_(ctx), size_(ctx->pointer_.size()) {
  ctx_->pointer_ += '/';
  ctx_->pointer_ += base::JsonPointerToken(key);
}

Context::Scope::Scope(Context* ctx, size_t index) : ctx_(ctx), size_(ctx->pointer_.size()) {
  fmt::format_to(std::back_inserter(ctx_->pointer_), "/{}", index);
}

base::Status Context::Fail(std::string_view what) const {
  return base::InvalidInput(
      fmt::format("{}: {}: {}", source_, pointer_.empty() ? "(document root)" : pointer_, what));
}

base::Status Context::Missing(std::string_view key, std::string_view expected) const {
  return base::InvalidInput(fmt::format("{}: {}/{}: missing (expected {})", source_, pointer_,
                                        base::JsonPointerToken(key), expected));
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

}  // namespace perfledger::adapters::json
