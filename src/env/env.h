// Env: every effect perfledger has on the file system goes through here, so layers above can
// be tested against a fake. The default Env is the real POSIX one; it is thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace perfledger::env {

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide real environment.
  static Env* Default();

  // Whole file contents. NotFound / IoError name the path and the OS's reason.
  virtual base::Result<std::string> ReadFile(const std::string& path) = 0;

  // Writes through a temporary file in the same directory and renames it over `path`, so a
  // reader sees the old contents or the new ones, never a mix.
  virtual base::Status WriteFileAtomic(const std::string& path, std::string_view contents) = 0;

  virtual bool Exists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  virtual base::Status CreateDirectories(const std::string& path) = 0;
  // Removes a file; one that does not exist is not an error.
  virtual base::Status RemoveFile(const std::string& path) = 0;

  // Regular files under `dir` (recursively) whose names end in `suffix`, sorted by path.
  virtual base::Result<std::vector<std::string>> ListFiles(const std::string& dir,
                                                           std::string_view suffix) = 0;
};

}  // namespace perfledger::env
