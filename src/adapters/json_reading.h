// Internal to src/adapters (not part of the layer's interface, which is adapters.h): the
// adapters read a harness's JSON output with core's JSON reading (core/json_reading.h), so a
// rejection is worded as an artifact's is: "<source>: <JSON pointer>: expected <what>, got
// <description of the value>".
#pragma once

#include "core/json_reading.h"

namespace perfledger::adapters {
namespace json = core::json;
}  // namespace perfledger::adapters
