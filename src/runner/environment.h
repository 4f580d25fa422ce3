// This machine as perfledger records it: the environment an artifact made here carries, and
// the default platform label.
#pragma once

#include <string>

#include "core/run.h"
#include "env/host.h"

namespace perfledger::runner {

// This machine as an artifact's environment (fingerprint not yet computed).
core::Environment HostEnvironment(const env::HostInfo& host);

// The default platform label, canonical (core/platform_name.h): "x86-64-linux",
// "aarch64-macos".
std::string HostPlatform(const env::HostInfo& host);

}  // namespace perfledger::runner
