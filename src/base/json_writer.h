// JsonWriter: a small streaming writer of compact JSON with a fixed key order and the number
// format of FormatNumber, so the same value always gives the same bytes. Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace perfledger::base {

class JsonWriter {
 public:
  JsonWriter& BeginObject();
  JsonWriter& EndObject();
  JsonWriter& BeginArray();
  JsonWriter& EndArray();
  JsonWriter& Key(std::string_view key);
  JsonWriter& String(std::string_view s);
  JsonWriter& Number(double v);  // must be finite
  JsonWriter& Int(int64_t v);
  JsonWriter& Bool(bool b);
  JsonWriter& Null();
  // Appends already-serialised JSON as one value.
  JsonWriter& Raw(std::string_view json);

  const std::string& str() const { return out_; }
  std::string Take() { return std::move(out_); }

 private:
  void BeforeValue();
  std::string out_;
  // Per open container: whether it has an element yet.
  std::vector<bool> has_element_;
  bool after_key_ = false;
};

// Appends `s` as a JSON string literal (quotes and escapes) to `out`. JSON text is UTF-8
// (RFC 8259), so bytes of `s` that are not well-formed UTF-8 become U+FFFD, one for each
// maximal ill-formed subsequence: whatever `s` holds (a request path echoed in an error, a
// name a harness printed), the output is valid JSON.
void AppendJsonString(std::string& out, std::string_view s);

}  // namespace perfledger::base
