#include "core/token.h"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "base/random.h"
#include "core/artifact.h"

namespace perfledger::core {
namespace {

constexpr size_t kRandomBytes = 32;
constexpr size_t kEncodedLength = (kRandomBytes * 8 + 5) / 6;  // 43: base64url, no padding
constexpr std::string_view kBase64Url =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

}  // namespace

std::string EncodeBase64Url(std::string_view bytes) {
  std::string out;
  out.reserve((bytes.size() * 8 + 5) / 6);
  uint32_t bits = 0;
  int count = 0;
  for (char c : bytes) {
    bits = (bits << 8) | static_cast<uint8_t>(c);
    count += 8;
    while (count >= 6) {
      count -= 6;
      out += kBase64Url[(bits >> count) & 0x3f];
    }
  }
  if (count > 0) out += kBase64Url[(bits << (6 - count)) & 0x3f];
  return out;
}

base::Result<std::string> NewApiToken() {
  std::array<uint8_t, kRandomBytes> bytes;
  if (!base::FillRandomBytes(bytes.data(), bytes.size())) {
    return base::IoError(
        fmt::format("cannot read random bytes for a token: {}", std::strerror(errno)));
  }
  std::string token(kApiTokenPrefix);
  token +=
      EncodeBase64Url(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  return token;
}

bool LooksLikeApiToken(std::string_view token) {
  if (!token.starts_with(kApiTokenPrefix)) return false;
  std::string_view body = token.substr(kApiTokenPrefix.size());
  if (body.size() != kEncodedLength) return false;
  return body.find_first_not_of(kBase64Url) == std::string_view::npos;
}

std::string ApiTokenHash(std::string_view token) { return Sha256Hex(token); }

std::string ApiTokenDisplayPrefix(std::string_view token) {
  return std::string(token.substr(0, kApiTokenDisplayLength));
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace perfledger::core
