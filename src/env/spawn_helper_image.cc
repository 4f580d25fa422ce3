// The bytes of perfledger-spawn (spawn_helper.cc), built before this file and included by the
// assembler: PERFLEDGER_SPAWN_HELPER is its path in the build tree (src/env/CMakeLists.txt).
#include "env/spawn_helper_image.h"

__asm__(
    ".pushsection .rodata,\"a\",@progbits\n"
    ".balign 16\n"
    ".globl perfledger_spawn_helper_begin\n"
    ".hidden perfledger_spawn_helper_begin\n"
    "perfledger_spawn_helper_begin:\n"
    ".incbin \"" PERFLEDGER_SPAWN_HELPER
    "\"\n"
    ".globl perfledger_spawn_helper_end\n"
    ".hidden perfledger_spawn_helper_end\n"
    "perfledger_spawn_helper_end:\n"
    ".popsection\n");

extern "C" const char perfledger_spawn_helper_begin[];
extern "C" const char perfledger_spawn_helper_end[];

namespace perfledger::env::platform {

std::string_view SpawnHelperImage() {
  return std::string_view(
      perfledger_spawn_helper_begin,
      static_cast<size_t>(perfledger_spawn_helper_end - perfledger_spawn_helper_begin));
}

}  // namespace perfledger::env::platform
