#include "core/platform_name.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace perfledger::core {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// The spellings of an architecture, as the canonical one; nullopt for a word that is none.
std::optional<std::string> Arch(std::string_view word) {
  const std::string w = Lower(word);
  if (w == "x86_64" || w == "x86-64" || w == "amd64" || w == "x64") return "x86-64";
  if (w == "aarch64" || w == "arm64") return "aarch64";
  for (std::string_view same :
       {"i386", "i686", "x86", "armv7l", "armv7", "riscv64", "ppc64le", "s390x", "loongarch64"}) {
    if (w == same) return w;
  }
  return std::nullopt;
}

// The spellings of a system, as the canonical one; nullopt for a word that is none.
std::optional<std::string> Os(std::string_view word) {
  const std::string w = Lower(word);
  if (w == "darwin" || w == "macos" || w == "osx") return "macos";
  if (w == "win" || w == "win32" || w == "win64" || w == "windows") return "windows";
  for (std::string_view same : {"linux", "freebsd", "openbsd", "netbsd"}) {
    if (w == same) return w;
  }
  return std::nullopt;
}

}  // namespace

std::string CanonicalPlatform(std::string_view arch, std::string_view os) {
  std::string a = Arch(arch).value_or(Lower(arch));
  std::replace(a.begin(), a.end(), '_', '-');
  std::string o = Os(os).value_or(Lower(os));
  std::replace(o.begin(), o.end(), '_', '-');
  return a + "-" + o;
}

std::optional<std::string> CanonicalPlatformOfAlias(std::string_view name) {
  // An architecture may hold a '-' (x86-64) and a system never does, so try both splits: the
  // system's word first (linux-x86_64) and last (x86_64-linux).
  std::optional<std::string> canonical;
  const size_t first = name.find('-'), last = name.rfind('-');
  if (first != std::string_view::npos) {
    auto os = Os(name.substr(0, first));
    auto arch = Arch(name.substr(first + 1));
    if (os && arch) canonical = *arch + "-" + *os;
  }
  if (!canonical && last != std::string_view::npos) {
    auto arch = Arch(name.substr(0, last));
    auto os = Os(name.substr(last + 1));
    if (os && arch) canonical = *arch + "-" + *os;
  }
  if (!canonical || *canonical == name) return std::nullopt;
  return canonical;
}

}  // namespace perfledger::core
