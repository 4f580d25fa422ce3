#include "cli/comparison.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <pugixml.hpp>
#include <sstream>

#include "analysis/parameters.h"
#include "base/json_writer.h"
#include "base/strings.h"
#include "base/units.h"
#include "core/artifact.h"
#include "core/limits.h"
#include "env/env.h"
#include "schedule/commit_source.h"
#include "service/documents.h"

namespace perfledger::cli {
namespace {

using analysis::Comparison;
using analysis::ComparisonRow;
using analysis::Verdict;
using Side = ComparedRun;

using service::LooksLikeSha;

std::string Percent(std::optional<double> v) {
  if (!v) return "-";
  return fmt::format("{:+.1f}%", *v * 100);
}

// A median in the unit that reads best: "97.2 ms", "1.5 MiB", "6.25M" (base/units.h).
std::string Value(double v, const std::string& unit) { return base::FormatQuantity(v, unit); }

std::string PValue(std::optional<double> p) {
  if (!p) return "-";
  return *p < 1e-4 ? fmt::format("{:.1e}", *p) : fmt::format("{:.4f}", *p);
}

// A relative share, with more digits below 10%: "0.35%", "12.0%".
std::string Share(double v) {
  return std::abs(v) < 0.1 ? fmt::format("{:.2f}%", v * 100) : fmt::format("{:.1f}%", v * 100);
}

// The noise a row's minimum effect came from: "0.35% run-to-run over 12 runs",
// "0.40% run-to-run over 3 runs, pooled with 20 series",
// "1.20% within-run spread", "--threshold", "default (noise unknown)".
std::string NoiseText(const ComparisonRow& r) {
  if (r.noise > 0) return fmt::format("{} {}", Share(r.noise), r.noise_source);
  return r.noise_source;
}

std::string Interval(const ComparisonRow& r) {
  if (!r.ci_low || !r.ci_high) return "-";
  return fmt::format("[{}, {}]", Percent(r.ci_low), Percent(r.ci_high));
}

std::string Describe(const Side& s) {
  return fmt::format("{} {} ({})", s.run.commit.sha.substr(0, 12), s.run.platform, s.source);
}

void PrintTable(const Comparison& c, const Side& base, const Side& head, bool advisory,
                const std::string& why, const NoiseHistory& history) {
  fmt::print("base {}\nhead {}\n", Describe(base), Describe(head));
  if (!why.empty()) fmt::print("baseline: {}\n", why);
  fmt::print("history: {}\n", history.description);
  if (advisory) {
    fmt::print(
        "advisory: the two runs are on different environments; no verdict here is a "
        "regression of the code\n");
  }
  fmt::print("\n{:<32} {:<12} {:>12} {:>12} {:>8} {:>18} {:>9} {:>9} {:>7} {:>7}  {:<44}  {}\n",
             "BENCHMARK", "METRIC", "BASE", "HEAD", "CHANGE", "INTERVAL", "P", "Q", "MIN", "NOISE",
             "NOISE FROM", "VERDICT");
  for (const auto& r : c.rows) {
    std::string verdict(analysis::VerdictName(r.verdict));
    if (!r.note.empty()) verdict += " (" + r.note + ")";
    fmt::print("{:<32} {:<12} {:>12} {:>12} {:>8} {:>18} {:>9} {:>9} {:>7} {:>7}  {:<44}  {}\n",
               r.benchmark, r.metric, Value(r.base_median, r.unit), Value(r.head_median, r.unit),
               Percent(r.change), Interval(r), PValue(r.p_value), PValue(r.q_value),
               Share(r.threshold), r.noise > 0 ? Share(r.noise) : "-", r.noise_source, verdict);
  }
  fmt::print("\n{} regression{}, {} improvement{}, {} unchanged, {} inconclusive\n", c.regressions,
             c.regressions == 1 ? "" : "s", c.improvements, c.improvements == 1 ? "" : "s",
             c.unchanged, c.inconclusive);
  fmt::print(
      "MIN is the minimum effect that counts: --threshold, else a multiple of NOISE (1%..50%),\n"
      "or 10% where the noise is unknown. NOISE is the series' run-to-run noise in the stored\n"
      "history (same platform, epoch and environment class; a short history is pooled with the\n"
      "other series of the metric); the multiple is 3, more when many metrics are compared\n"
      "(4.7 for 100 with a well-known noise, more with little history). Else the two runs'\n"
      "within-run spread (3x).\n");
  if (!c.failed.empty()) fmt::print("failed on a side: {}\n", base::Join(c.failed, ", "));
  if (!c.only_base.empty()) fmt::print("only in base: {}\n", base::Join(c.only_base, ", "));
  if (!c.only_head.empty()) fmt::print("only in head: {}\n", base::Join(c.only_head, ", "));
  if (!c.metrics_only_base.empty()) {
    fmt::print("metrics only in base: {}\n", base::Join(c.metrics_only_base, ", "));
  }
  if (!c.metrics_only_head.empty()) {
    fmt::print("metrics only in head: {}\n", base::Join(c.metrics_only_head, ", "));
  }
}

void PrintMarkdown(const Comparison& c, const Side& base, const Side& head, bool advisory,
                   const std::string& why, const NoiseHistory& history) {
  fmt::print("### perfledger compare: `{}` → `{}` on {}\n\n", base.run.commit.sha.substr(0, 12),
             head.run.commit.sha.substr(0, 12), head.run.platform);
  if (!why.empty()) fmt::print("Baseline: {}.\n\n", why);
  fmt::print("Noise history: {}.\n\n", history.description);
  if (advisory) {
    fmt::print(
        "> **Advisory:** base and head ran on different environments, so these changes "
        "may be the machines, not the code.\n\n");
  }
  fmt::print("**{}** regression{}, **{}** improvement{}, {} unchanged, {} inconclusive.\n\n",
             c.regressions, c.regressions == 1 ? "" : "s", c.improvements,
             c.improvements == 1 ? "" : "s", c.unchanged, c.inconclusive);
  auto table = [&](const std::vector<const ComparisonRow*>& rows) {
    fmt::print(
        "| benchmark | metric | base | head | change | 95% interval | q | min effect | noise | "
        "verdict |\n");
    fmt::print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |\n");
    for (const auto* r : rows) {
      std::string verdict(analysis::VerdictName(r->verdict));
      if (r->verdict == Verdict::kRegression) verdict = ":red_circle: regression";
      if (r->verdict == Verdict::kImprovement) verdict = ":green_circle: improvement";
      if (!r->note.empty()) verdict += " (" + r->note + ")";
      fmt::print("| `{}` | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", r->benchmark, r->metric,
                 Value(r->base_median, r->unit), Value(r->head_median, r->unit), Percent(r->change),
                 Interval(*r), PValue(r->q_value), Share(r->threshold), NoiseText(*r), verdict);
    }
  };
  std::vector<const ComparisonRow*> moved, rest;
  for (const auto& r : c.rows) {
    (r.verdict == Verdict::kRegression || r.verdict == Verdict::kImprovement ? moved : rest)
        .push_back(&r);
  }
  if (!moved.empty()) {
    table(moved);
    fmt::print("\n");
  }
  if (!rest.empty()) {
    fmt::print("<details><summary>{} unchanged or inconclusive</summary>\n\n", rest.size());
    table(rest);
    fmt::print("\n</details>\n");
  }
  for (auto [what, list] :
       {std::pair{"failed on a side", &c.failed}, std::pair{"only in base", &c.only_base},
        std::pair{"only in head", &c.only_head},
        std::pair{"metrics only in base", &c.metrics_only_base},
        std::pair{"metrics only in head", &c.metrics_only_head}}) {
    if (!list->empty()) fmt::print("\nNot compared, {}: `{}`\n", what, base::Join(*list, "`, `"));
  }
  fmt::print(
      "\nA change counts when its q-value is at most --alpha and it is at least its min effect: "
      "--threshold, else a multiple of the series' noise (run-to-run in the stored history, "
      "pooled with the other series of the metric when short: 3x, more when many metrics are "
      "compared; else 3x the within-run spread).\n");
}

void PrintJson(const Comparison& c, const Side& base, const Side& head, bool advisory,
               const std::string& why, const NoiseHistory& history) {
  fmt::print("{}\n", service::ComparisonJson(c, {base.run, base.source}, {head.run, head.source},
                                             advisory, why, history));
}

// Text that XML 1.0 can carry (its Char production: tab, LF, CR, U+0020..U+D7FF,
// U+E000..U+FFFD, U+10000..U+10FFFF), whatever a benchmark is called: a control character
// becomes its JSON-style escape ("\u0001"; not even "&#1;" is allowed), a byte that is not
// UTF-8, and U+FFFE and U+FFFF, become U+FFFD. pugixml escapes the rest (&, <, >, quotes), and
// "]]>" needs nothing: it is never written as CDATA.
std::string XmlText(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    const int n = base::Utf8SequenceAt(s, i);
    if (n < 0) {
      out += kReplacement;
      i += static_cast<size_t>(-n);
      continue;
    }
    const std::string_view seq = s.substr(i, static_cast<size_t>(n));
    const auto ch = static_cast<unsigned char>(seq[0]);
    if (n == 1 && ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r') {
      out += fmt::format("\\u{:04x}", static_cast<unsigned>(ch));
    } else if (seq == "\xEF\xBF\xBE" || seq == "\xEF\xBF\xBF") {
      out += kReplacement;
    } else {
      out += seq;
    }
    i += static_cast<size_t>(n);
  }
  return out;
}

void SetAttribute(pugi::xml_node node, const char* name, std::string_view value) {
  node.append_attribute(name).set_value(XmlText(value).c_str());
}

// One testcase per benchmark x metric: a regression is a failure, an inconclusive row is
// skipped, the others pass with what was measured as their output.
void PrintJunit(const Comparison& c, const Side& base, const Side& head) {
  pugi::xml_document doc;
  pugi::xml_node declaration = doc.append_child(pugi::node_declaration);
  declaration.append_attribute("version").set_value("1.0");
  declaration.append_attribute("encoding").set_value("UTF-8");
  pugi::xml_node suite = doc.append_child("testsuite");
  SetAttribute(suite, "name",
               fmt::format("perfledger compare {} {}", base.run.commit.sha.substr(0, 12),
                           head.run.commit.sha.substr(0, 12)));
  suite.append_attribute("tests").set_value(static_cast<unsigned long long>(c.rows.size()));
  suite.append_attribute("failures").set_value(static_cast<long long>(c.regressions));
  suite.append_attribute("skipped").set_value(static_cast<long long>(c.inconclusive));
  for (const auto& r : c.rows) {
    pugi::xml_node testcase = suite.append_child("testcase");
    SetAttribute(testcase, "classname", r.benchmark);
    SetAttribute(testcase, "name", r.metric);
    const std::string what =
        fmt::format("{} -> {} ({} {}, q {}; min effect {}, noise {})", Value(r.base_median, r.unit),
                    Value(r.head_median, r.unit), Percent(r.change), Interval(r), PValue(r.q_value),
                    Share(r.threshold), NoiseText(r));
    if (r.verdict == Verdict::kRegression) {
      SetAttribute(testcase.append_child("failure"), "message", "regression: " + what);
    } else if (r.verdict == Verdict::kInconclusive) {
      SetAttribute(testcase.append_child("skipped"), "message",
                   "inconclusive: " + (r.note.empty() ? what : r.note));
    } else {
      const std::string text = fmt::format("{}: {}", analysis::VerdictName(r.verdict), what);
      testcase.append_child("system-out").text().set(XmlText(text).c_str());
    }
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_indent, pugi::encoding_utf8);
  std::string text = out.str();
  if (!text.ends_with('\n')) text += '\n';
  fmt::print("{}", text);
}

}  // namespace

base::Result<ComparedRun> LoadComparedRun(const std::string& what, const std::string& platform,
                                          const std::string& repo, Shell* shell,
                                          std::unique_ptr<store::Store>* store) {
  return service::LoadComparedRun(what, platform, repo, shell->db,
                                  [&]() -> base::Result<store::Store*> {
                                    if (*store == nullptr) {
                                      ASSIGN_OR_RETURN(*store, shell->OpenStore(/*create=*/false));
                                    }
                                    return store->get();
                                  });
}

void ComparisonFlags::AddTo(CLI::App* cmd) {
  cmd->add_option("--metric", metrics, "Only this metric (repeatable)");
  cmd->add_option("--threshold", threshold,
                  "Fixed minimum effect, like 10% (default: from the noise)");
  cmd->add_option("--alpha", alpha, "False discovery rate (default 0.05)");
  cmd->add_option("--format", format, "table, markdown, json or junit")
      ->check(CLI::IsMember({"table", "markdown", "json", "junit"}));
  cmd->add_flag("--allow-cross-environment", allow_cross_environment,
                "Compare runs of different environments (advisory only)");
  cmd->add_flag("--no-history", no_history,
                "Do not learn the noise from the store's history: use the two runs' own spread");
}

void CompareAndPrint(const ComparedRun& base, const ComparedRun& head, const ComparisonFlags& flags,
                     const std::string& why, const NoiseHistory& history, Shell* shell) {
  analysis::CompareOptions options;
  if (!flags.threshold.empty()) {
    auto t = ParsePercentFlag("--threshold", flags.threshold);
    if (!t.ok()) return shell->Fail(t.status());
    options.threshold = *t;
  }
  options.alpha = flags.alpha;
  options.metrics = flags.metrics;
  service::CompareRequest request;
  request.options = options;
  request.allow_cross_environment = flags.allow_cross_environment;
  request.alpha_name = "--alpha";
  request.metric_name = "--metric";
  request.refusal_hint = "; pass --allow-cross-environment for an advisory comparison";
  auto outcome = service::CompareRunsOf(base.run, head.run, request, history);
  if (!outcome.ok()) return shell->Fail(outcome.status());
  const Comparison& c = outcome->comparison;
  const bool advisory = outcome->advisory;
  if (flags.format == "json") {
    PrintJson(c, base, head, advisory, why, history);
  } else if (flags.format == "markdown") {
    PrintMarkdown(c, base, head, advisory, why, history);
  } else if (flags.format == "junit") {
    PrintJunit(c, base, head);
  } else {
    PrintTable(c, base, head, advisory, why, history);
  }
  if (c.regressions > 0 && !advisory) shell->exit_code = kExitFound;
}

}  // namespace perfledger::cli
