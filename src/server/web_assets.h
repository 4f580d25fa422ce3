// The dashboard's files (web/, built by Vite), compiled into the binary so `perfledger serve`
// needs nothing beside it. Generated at build time by cmake/EmbedFiles.cmake; empty when the
// build had no Node.js.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

namespace perfledger::server {

struct WebAsset {
  std::string_view path;  // "/index.html", "/assets/index-1a2b3c.js"
  std::string_view data;
};

std::optional<WebAsset> FindWebAsset(std::string_view path);

// Every file, sorted by path (`perfledger publish` writes them out); none without a dashboard.
std::vector<WebAsset> WebAssets();

}  // namespace perfledger::server
