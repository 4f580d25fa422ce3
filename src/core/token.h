// API tokens (DESIGN.md "serve"): uploads to the server carry a bearer token that
// `perfledger token create` printed once. The store keeps only the token's SHA-256 and its
// first characters, so a leaked store does not leak a usable token.
//
// Pure functions except NewApiToken, which reads the kernel's random source. Thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace perfledger::core {

// Every token starts with this, so a secret scanner (or a person) can recognise one.
inline constexpr std::string_view kApiTokenPrefix = "plt_";
// How many of a token's first characters are kept for lists: "plt_" and four more.
inline constexpr size_t kApiTokenDisplayLength = 8;

// A new token: "plt_" and 32 random bytes from the OS (base/random.h) in unpadded base64url (43
// characters). kIoError when the kernel gives no randomness.
base::Result<std::string> NewApiToken();

// Whether `token` has the shape NewApiToken gives: the prefix and 43 base64url characters.
// The server can refuse anything else before hashing it.
bool LooksLikeApiToken(std::string_view token);

// What the store keeps of a token: its SHA-256 as 64 lower-case hex digits.
std::string ApiTokenHash(std::string_view token);

// What lists show of a token: its first kApiTokenDisplayLength characters (fewer when shorter).
std::string ApiTokenDisplayPrefix(std::string_view token);

// RFC 4648 section 5 base64url of `bytes`, without padding.
std::string EncodeBase64Url(std::string_view bytes);

// Equality of two secrets (such as two ApiTokenHash values) whose time depends only on their
// lengths, never on where they first differ. Different lengths compare unequal.
bool ConstantTimeEquals(std::string_view a, std::string_view b);

}  // namespace perfledger::core
