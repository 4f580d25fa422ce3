// Internal to src/adapters (not part of the layer's interface, which is adapters.h): reading
// a harness's JSON output with simdjson, and one wording for every rejection:
//   "<source>: <JSON pointer>: expected <what>, got <description of the value>".
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace perfledger::adapters::json {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The JSON pointer of the value being read.
class Context {
 public:
  explicit Context(std::string_view source) : source_(source) {}

  // Descends into a key or an index for as long as it lives.
  class Scope {
   public:
    Scope(Context* ctx, std::string_view key);
    Scope(Context* ctx, size_t index);
    ~Scope() { ctx_->pointer_.resize(size_); }
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    Context* ctx_;
    size_t size_;
  };

  const std::string& pointer() const { return pointer_; }
  std::string_view source() const { return source_; }
  // "<source>: <pointer>: <what>" ("(document root)" for the root).
  base::Status Fail(std::string_view what) const;
  // "<source>: <pointer>/<key>: missing (expected <expected>)".
  base::Status Missing(std::string_view key, std::string_view expected) const;

 private:
  std::string_view source_;
  std::string pointer_;
};

// "an array", "an object", "a string (\"fast\")", "the number 5", "true", "null".
std::string Describe(element e);

// ctx.Fail("expected <what>, got <Describe(got)>").
base::Status Expected(const Context& ctx, std::string_view what, element got);

bool IsNumber(element e);
double NumberValue(element e);  // of an IsNumber element
// A finite number, or nothing (null, strings such as "NaN", non-numbers, infinities).
std::optional<double> FiniteNumber(element e);

}  // namespace perfledger::adapters::json
