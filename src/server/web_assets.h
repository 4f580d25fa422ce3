// The dashboard's files (web/, built by Vite), compiled into the binary so `perfledger serve`
// needs nothing beside it. Generated at build time by cmake/EmbedFiles.cmake; empty when the
// build had no Node.js.
#pragma once

#include <optional>
#include <string_view>

namespace perfledger::server {

struct WebAsset {
  std::string_view path;  // "/index.html", "/assets/index-1a2b3c.js"
  std::string_view data;
};

std::optional<WebAsset> FindWebAsset(std::string_view path);

}  // namespace perfledger::server
