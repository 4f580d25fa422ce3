// Platform names: perfledger names a platform arch-os ("x86-64-linux", "aarch64-macos",
// "x86-64-windows"), the order `perfledger run` has always defaulted to. The other order
// ("linux-x86_64", "macos-arm64", once init github-actions' default) is an alias: a verb where
// a user types a platform maps it to the canonical name, unless the store already holds runs
// under the name as given (cli/run_metadata.h decides that). Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace perfledger::core {

// The canonical name of a machine from uname's values: the architecture spelled as perfledger
// spells it (x86_64, amd64, x64 -> x86-64; arm64 -> aarch64), a '-', then the system in lower
// case (darwin -> macos). "x86_64", "Linux" -> "x86-64-linux"; "arm64", "Darwin" ->
// "aarch64-macos".
std::string CanonicalPlatform(std::string_view arch, std::string_view os);

// The canonical name a platform name is an alias of, or nullopt when it is canonical already
// or not recognisably an architecture and a system: "linux-x86_64" -> "x86-64-linux",
// "macos-arm64" -> "aarch64-macos", "x86_64-linux" -> "x86-64-linux", "windows-x64" ->
// "x86-64-windows"; "x86-64-linux", "gpu-runner" and "linux-test" -> nullopt.
std::optional<std::string> CanonicalPlatformOfAlias(std::string_view name);

}  // namespace perfledger::core
