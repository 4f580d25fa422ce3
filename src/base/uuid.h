// Random (version 4) UUIDs: the run ids perfledger makes when a caller does not bring one.
#pragma once

#include <string>

namespace perfledger::base {

// A new random UUID in lower case, 8-4-4-4-12. Thread-safe.
std::string NewUuidV4();

}  // namespace perfledger::base
