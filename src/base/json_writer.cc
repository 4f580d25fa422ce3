#include "base/json_writer.h"

#include <fmt/format.h>

#include <array>

#include "base/strings.h"

namespace perfledger::base {

namespace {

// The bytes a JSON string must escape: '"', '\\' and the control characters below 0x20; and
// the bytes from 0x80, where a UTF-8 sequence starts that must be checked.
constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> special{};
  for (int c = 0; c < 0x20; ++c) special[c] = true;
  for (int c = 0x80; c < 0x100; ++c) special[c] = true;
  special['"'] = special['\\'] = true;
  return special;
}();

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out += '"';
  // Characters that need no escape are appended a run at a time: most strings have none.
  size_t plain = 0;
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (!kSpecial[static_cast<unsigned char>(c)]) {
      ++i;
      continue;
    }
    if (static_cast<unsigned char>(c) >= 0x80) {
      const int n = Utf8SequenceAt(s, i);
      if (n > 0) {
        i += static_cast<size_t>(n);
        continue;
      }
      out.append(s.data() + plain, i - plain);
      out += kReplacement;
      i += static_cast<size_t>(-n);
      plain = i;
      continue;
    }
    out.append(s.data() + plain, i - plain);
    plain = ++i;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        out += fmt::format("\\u{:04x}", static_cast<unsigned>(c));
    }
  }
  out.append(s.data() + plain, s.size() - plain);
  out += '"';
}

void JsonWriter::BeforeValue() {
  if (after_key_) {
    after_key_ = false;
    return;
  }
  if (!has_element_.empty()) {
    if (has_element_.back()) out_ += ',';
    has_element_.back() = true;
  }
}

JsonWriter& JsonWriter::BeginObject() {
  BeforeValue();
  out_ += '{';
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndObject() {
  out_ += '}';
  has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::BeginArray() {
  BeforeValue();
  out_ += '[';
  has_element_.push_back(false);
  return *this;
}

JsonWriter& JsonWriter::EndArray() {
  out_ += ']';
  has_element_.pop_back();
  return *this;
}

JsonWriter& JsonWriter::Key(std::string_view key) {
  BeforeValue();
  AppendJsonString(out_, key);
  out_ += ':';
  after_key_ = true;
  return *this;
}

JsonWriter& JsonWriter::String(std::string_view s) {
  BeforeValue();
  AppendJsonString(out_, s);
  return *this;
}

JsonWriter& JsonWriter::Number(double v) {
  BeforeValue();
  AppendNumber(out_, v);
  return *this;
}

JsonWriter& JsonWriter::Int(int64_t v) {
  BeforeValue();
  const fmt::format_int digits(v);
  out_.append(digits.data(), digits.size());
  return *this;
}

JsonWriter& JsonWriter::Bool(bool b) {
  BeforeValue();
  out_ += b ? "true" : "false";
  return *this;
}

JsonWriter& JsonWriter::Null() {
  BeforeValue();
  out_ += "null";
  return *this;
}

JsonWriter& JsonWriter::Raw(std::string_view json) {
  BeforeValue();
  out_ += json;
  return *this;
}

}  // namespace perfledger::base
