// Compact encoding of one metric's samples as a blob (the store keeps one blob per
// benchmark x metric of a run, not a row per value).
//
// Format: a tag byte, then the payload.
//   tag 1: every value is an integer within +-2^53: zigzag LEB128 varints of the differences
//          between consecutive values (timings in ns and counts shrink to 2-4 bytes each).
//   tag 0: otherwise: little-endian IEEE 754 doubles, 8 bytes each.
// Decoding returns exactly the encoded doubles.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace perfledger::store {

std::string EncodeSamples(const std::vector<double>& samples);
base::Result<std::vector<double>> DecodeSamples(std::string_view blob);

}  // namespace perfledger::store
