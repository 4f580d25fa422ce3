// Reading JSON with simdjson the way perfledger words every rejection:
//   "<source>: <JSON pointer>: expected <what>, got <description of the value>"
// with the pointer also as the Status's structured location (base::Location). Used by the
// artifact reader (core/artifact_reader.cc) and by the harness adapters (src/adapters).
#pragma once

#include <simdjson.h>

#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"

namespace perfledger::core::json {

using simdjson::dom::element;
using simdjson::dom::element_type;

// The JSON pointer of the value being read.
class Context {
 public:
  // `base` is the pointer of the document inside a larger one ("/artifacts/3" in a batch).
  // `missing` words a missing member: "missing" (harness output) or "missing required field"
  // (artifacts, whose every required field is documented).
  explicit Context(std::string_view source, std::string_view base = "",
                   std::string_view missing = "missing")
      : source_(source), pointer_(base), missing_(missing) {}

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
  base::Status Fail(std::string_view what) const { return FailAt("", what); }
  // The same at a pointer below the current one.
  base::Status FailAt(std::string_view below, std::string_view what) const;
  // "<source>: <pointer>/<key>: missing (expected <expected>)".
  base::Status Missing(std::string_view key, std::string_view expected) const;

 private:
  std::string_view source_;
  std::string pointer_;
  std::string_view missing_;
};

// "an array", "an object", "a string (\"fast\")", "the number 5", "true", "null".
std::string Describe(element e);

// ctx.Fail("expected <what>, got <Describe(got)>").
base::Status Expected(const Context& ctx, std::string_view what, element got);

// Why `json` is not a document simdjson can read (`error` is what simdjson said), as a user
// needs it: "<source>:<line>:<column>: invalid JSON: unexpected ..." with the token, NaN and
// Infinity named, a truncated file, a lone surrogate, a whole number too large to read exactly.
// Only on the error path (it parses again with nlohmann's parser for the position).
base::Status SyntaxError(std::string_view json, std::string_view source,
                         simdjson::error_code error);

// The member `key` of `obj` into `*out`; false when there is none.
bool Lookup(simdjson::dom::object obj, std::string_view key, element* out);

bool IsNumber(element e);
double NumberValue(element e);  // of an IsNumber element
// A finite number, or nothing (null, strings such as "NaN", non-numbers, infinities).
std::optional<double> FiniteNumber(element e);

}  // namespace perfledger::core::json
