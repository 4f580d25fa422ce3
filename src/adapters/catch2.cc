// Catch2's XML reporter (-r xml), v2 and v3:
//
//   v2: <Catch name=...><Group name=...><TestCase name=...> ... </TestCase></Group></Catch>
//   v3: <Catch2TestRun name=... xml-format-version="3"><TestCase name=...> ... </Catch2TestRun>
//
// Inside a test case (directly or within <Section>s), each BENCHMARK writes
//
//   <BenchmarkResults name="copy" samples="100" resamples="100000" iterations="2540"
//                     clockResolution="37.4" estimatedDuration="355600">
//     <mean value="14.8" lowerBound="14.0" upperBound="17.3" ci="0.95"/>
//     <standardDeviation value="1.9" lowerBound="0.004" upperBound="3.2" ci="0.95"/>
//     <outliers .../>
//   </BenchmarkResults>
//
// in nanoseconds, or a <failed message="..."/> child when the benchmark threw. Catch2 writes
// no raw samples, so wall_time is a core::Summary: n = samples, mean, stddev, and lower/upper
// = the bootstrap confidence interval of the mean. With --benchmark-no-analysis Catch2 writes
// ci="0", the mean as its own bounds and a standard deviation of 0: then only n and mean are
// kept, since the rest was never estimated.
//
// Benchmark names are "<test case name>/<benchmark name>": BENCHMARK names need only be
// unique within a test case. Two benchmarks still sharing that name (the same BENCHMARK in two
// sections of one test case) are an error rather than silently merged.
//
// A benchmark whose test case failed keeps its results; one with no results becomes a
// structured failure carrying the test case's first failure message.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>
#include <pugixml.hpp>
#include <string>
#include <vector>

#include "adapters/adapters.h"
#include "adapters/harness_output.h"
#include "base/strings.h"
#include "core/artifact.h"

namespace perfledger::adapters {
namespace {

using base::InvalidInput;
using base::Result;
using base::Status;

// Line (from 1) of a byte offset.
size_t LineOf(std::string_view text, ptrdiff_t offset) {
  if (offset < 0) return 0;
  size_t line = 1;
  for (size_t i = 0; i < static_cast<size_t>(offset) && i < text.size(); ++i) {
    if (text[i] == '\n') ++line;
  }
  return line;
}

// "/Catch/Group/TestCase[@name='vector sum']/BenchmarkResults[@name='copy']/mean": an XPath
// that finds the element, with names where siblings share a tag.
std::string ElementPath(pugi::xml_node node) {
  std::vector<std::string> parts;
  for (; node && node.type() == pugi::node_element; node = node.parent()) {
    const pugi::xml_attribute name = node.attribute("name");
    const std::string_view tag = node.name();
    if (name && (tag == "TestCase" || tag == "BenchmarkResults" || tag == "Section")) {
      parts.push_back(fmt::format("{}[@name='{}']", tag, name.value()));
    } else {
      parts.emplace_back(tag);
    }
  }
  std::string out;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) {
    out += '/';
    out += *it;
  }
  return out;
}

// Formats rejections as "source:line: /xml/path: what".
class Where {
 public:
  Where(std::string_view text, const std::string& source) : text_(text), source_(source) {}
  Status Fail(pugi::xml_node node, std::string_view what) const {
    const size_t line = LineOf(text_, node.offset_debug());
    if (line == 0) return InvalidInput(fmt::format("{}: {}: {}", source_, ElementPath(node), what));
    return InvalidInput(fmt::format("{}:{}: {}: {}", source_, line, ElementPath(node), what));
  }

 private:
  std::string_view text_;
  const std::string& source_;
};

// An attribute as a finite number; `what` describes the expectation in messages.
Result<double> GetNumber(const Where& where, pugi::xml_node node, const char* attribute) {
  const pugi::xml_attribute a = node.attribute(attribute);
  if (!a) return where.Fail(node, fmt::format("missing attribute \"{}\" (a number)", attribute));
  const std::string_view s = a.value();
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return where.Fail(node, fmt::format("attribute \"{}\": expected a finite number, got {}",
                                        attribute, base::Quote(s)));
  }
  return v;
}

// An optional attribute as a finite number; absent, empty or non-finite ("nan" for the
// standard deviation of one sample) is nullopt.
std::optional<double> OptionalNumber(pugi::xml_node node, const char* attribute) {
  const std::string_view s = node.attribute(attribute).value();
  double v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || !std::isfinite(v)) {
    return std::nullopt;
  }
  return v;
}

// Whitespace runs collapsed to one space, trimmed, at most 200 characters.
std::string OneLine(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= 200) {
      out += "...";
      break;
    }
  }
  return out;
}

// The first failure recorded in a test case, for the error of a benchmark with no results.
std::string FailureOf(pugi::xml_node test_case) {
  for (const char* query : {".//Exception", ".//FatalErrorCondition", ".//Failure",
                            ".//Expression[@success='false']"}) {
    const pugi::xml_node n = test_case.select_node(query).node();
    if (!n) continue;
    std::string text = OneLine(n.text().get());
    if (std::string_view(n.name()) == "Expression") {
      text = fmt::format("{} failed: {}", n.attribute("type").value(),
                         OneLine(n.child_value("Original")));
    }
    if (!text.empty()) return fmt::format("test case failed: {}", text);
  }
  return "test case failed";
}

bool TestCaseFailed(pugi::xml_node test_case) {
  const pugi::xml_node result = test_case.child("OverallResult");
  return result && std::string_view(result.attribute("success").value()) == "false";
}

// Reads one <BenchmarkResults> element.
Result<core::BenchmarkResult> ReadBenchmark(const Where& where, pugi::xml_node bench,
                                            pugi::xml_node test_case) {
  core::BenchmarkResult b;
  const std::string_view name = bench.attribute("name").value();
  if (name.empty()) return where.Fail(bench, "missing attribute \"name\" (the benchmark's name)");
  b.name = test_case ? fmt::format("{}/{}", test_case.attribute("name").value(), name)
                     : std::string(name);

  if (const pugi::xml_node failed = bench.child("failed")) {
    const std::string message = OneLine(failed.attribute("message").value());
    b.error = message.empty() ? "benchmark failed" : message;
    return b;
  }
  const pugi::xml_node mean = bench.child("mean");
  if (!mean) {
    if (test_case && TestCaseFailed(test_case)) {
      b.error = FailureOf(test_case);
      return b;
    }
    return where.Fail(bench, "missing <mean> (expected the benchmark's mean time in ns)");
  }

  core::Summary summary;
  const pugi::xml_attribute samples = bench.attribute("samples");
  int64_t n = 0;
  const std::string_view s = samples.value();
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (!samples || ec != std::errc() || end != s.data() + s.size() || n < 1) {
    return where.Fail(bench, samples ? fmt::format("attribute \"samples\": expected a positive "
                                                   "integer, got {}",
                                                   base::Quote(s))
                                     : "missing attribute \"samples\" (a positive integer)");
  }
  summary.n = n;
  ASSIGN_OR_RETURN(summary.mean, GetNumber(where, mean, "value"));
  if (summary.mean < 0) {
    return where.Fail(mean, fmt::format("attribute \"value\": expected a non-negative time, got {}",
                                        base::Quote(mean.attribute("value").value())));
  }
  // ci="0": --benchmark-no-analysis; the bounds and standard deviation were not estimated.
  const bool analysed = OptionalNumber(mean, "ci").value_or(1) != 0;
  if (analysed) {
    summary.lower = OptionalNumber(mean, "lowerBound");
    summary.upper = OptionalNumber(mean, "upperBound");
    if (const pugi::xml_node sd = bench.child("standardDeviation")) {
      summary.stddev = OptionalNumber(sd, "value");
    }
  }
  b.metrics.push_back(core::Metric{.name = "wall_time",
                                   .unit = "ns",
                                   .direction = core::Direction::kLower,
                                   .samples = {},
                                   .summary = summary});
  return b;
}

// Collects the <BenchmarkResults> below `node` in document order, remembering the enclosing
// <TestCase>.
void Collect(pugi::xml_node node, pugi::xml_node test_case,
             std::vector<std::pair<pugi::xml_node, pugi::xml_node>>& out) {
  for (pugi::xml_node child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    const std::string_view tag = child.name();
    if (tag == "BenchmarkResults") {
      out.emplace_back(child, test_case);
    } else if (tag == "TestCase") {
      Collect(child, child, out);
    } else {
      Collect(child, test_case, out);
    }
  }
}

}  // namespace

Parsed ParseCatch2(std::string_view text, const std::string& source) {
  if (IsBlank(text)) return NoResults(source, "the input is empty");
  pugi::xml_document doc;
  const pugi::xml_parse_result parsed =
      doc.load_buffer(text.data(), text.size(), pugi::parse_default, pugi::encoding_utf8);
  if (!parsed) {
    const bool at_end = static_cast<size_t>(parsed.offset) >= text.size();
    return InvalidInput(fmt::format(
        "{}:{}: invalid XML: {}{}", source,
        base::LineColumn(text, static_cast<size_t>(std::max<ptrdiff_t>(parsed.offset, 0))),
        parsed.description(), at_end ? " at the end of the input (is the file truncated?)" : ""));
  }
  const Where where(text, source);
  const pugi::xml_node root = doc.document_element();
  const std::string_view root_name = root.name();
  if (root_name != "Catch" && root_name != "Catch2TestRun") {
    return where.Fail(root,
                      "expected a Catch2 XML report (root element <Catch> or <Catch2TestRun>, "
                      "written by -r xml)");
  }

  std::vector<std::pair<pugi::xml_node, pugi::xml_node>> found;
  Collect(root, pugi::xml_node(), found);
  if (found.empty()) {
    return InvalidInput(fmt::format(
        "{}: no benchmark results (no <BenchmarkResults> element; Catch2 v2 runs BENCHMARKs "
        "only with CATCH_CONFIG_ENABLE_BENCHMARKING)",
        source));
  }
  std::vector<core::BenchmarkResult> out;
  out.reserve(found.size());
  std::map<std::string, pugi::xml_node> seen;
  for (const auto& [bench, test_case] : found) {
    ASSIGN_OR_RETURN(core::BenchmarkResult b, ReadBenchmark(where, bench, test_case));
    auto [it, inserted] = seen.try_emplace(b.name, bench);
    if (!inserted) {
      return where.Fail(bench,
                        fmt::format("duplicate benchmark name {} (first at line {}); "
                                    "give the BENCHMARKs of one test case distinct names",
                                    base::Quote(b.name), LineOf(text, it->second.offset_debug())));
    }
    out.push_back(std::move(b));
  }
  // What the artifact would refuse is refused here, naming the harness output.
  RETURN_IF_ERROR(core::ValidateBenchmarks(out).WithPrefix(source));
  return out;
}

bool LooksLikeCatch2(std::string_view text) {
  // Skip a byte-order mark, the XML declaration, comments and processing instructions (a
  // stylesheet reference), then expect the root element.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  for (int guard = 0; guard < 16; ++guard) {
    const size_t start = text.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) return false;
    text.remove_prefix(start);
    if (base::StartsWith(text, "<?")) {
      const size_t end = text.find("?>");
      if (end == std::string_view::npos) return false;
      text.remove_prefix(end + 2);
    } else if (base::StartsWith(text, "<!--")) {
      const size_t end = text.find("-->");
      if (end == std::string_view::npos) return false;
      text.remove_prefix(end + 3);
    } else {
      break;
    }
  }
  for (std::string_view root : {"<Catch2TestRun", "<Catch"}) {
    if (base::StartsWith(text, root) && text.size() > root.size()) {
      const char next = text[root.size()];
      if (next == ' ' || next == '>' || next == '\n' || next == '\r' || next == '\t') return true;
    }
  }
  return false;
}

}  // namespace perfledger::adapters
