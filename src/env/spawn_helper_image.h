// The executable image of perfledger-spawn (spawn_helper.cc), embedded in perfledger on Linux
// so that nothing needs installing beside the binary; process_linux.cc runs it from a memfd.
// For process_linux.cc alone.
#pragma once

#include <string_view>

namespace perfledger::env::platform {

// The static ELF executable's bytes (read-only data of this binary).
std::string_view SpawnHelperImage();

}  // namespace perfledger::env::platform
