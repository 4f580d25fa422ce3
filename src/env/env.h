// Env: every effect perfledger has on the file system, and its reading of the wall clock, go
// through here, so layers above can be tested against a fake (fake_env.h). The default Env is
// the real POSIX one; it is thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/time.h"

namespace perfledger::env {

class Env {
 public:
  virtual ~Env() = default;

  // The process-wide real environment.
  static Env* Default();

  // The most bytes ReadFile reads unless told otherwise (docs/limits.md): an input file
  // larger than that, or a device that never ends (/dev/zero), is refused, not read whole.
  static constexpr size_t kDefaultMaxFileBytes = size_t{1} << 30;

  // Whole file contents, at most `max_bytes` of them: a longer file is InvalidInput naming
  // the path and the limit, found without reading past it. NotFound / IoError name the path
  // and the OS's reason.
  virtual base::Result<std::string> ReadFile(const std::string& path, size_t max_bytes) = 0;
  base::Result<std::string> ReadFile(const std::string& path) {
    return ReadFile(path, kDefaultMaxFileBytes);
  }

  // The real path of `relative` inside the directory `root`, with every symbolic link and
  // ".." resolved: NotFound when it does not exist, is not a regular file, or resolves to a
  // place outside `root` (a link out of the directory).
  virtual base::Result<std::string> ResolveInside(const std::string& root,
                                                  const std::string& relative) = 0;

  // Writes through a temporary file in the same directory and renames it over `path`, so a
  // reader sees the old contents or the new ones, never a mix.
  virtual base::Status WriteFileAtomic(const std::string& path, std::string_view contents) = 0;

  virtual bool Exists(const std::string& path) = 0;
  virtual bool IsDirectory(const std::string& path) = 0;
  virtual base::Status CreateDirectories(const std::string& path) = 0;
  // Removes a file; one that does not exist is not an error.
  virtual base::Status RemoveFile(const std::string& path) = 0;

  // Renames a file or a directory (rename(2): atomic; `to` must be on the same file system,
  // and when it is a directory, an empty one).
  virtual base::Status Rename(const std::string& from, const std::string& to) = 0;
  // Removes `path` and, when it is a directory, everything below it; a symbolic link is
  // removed, never followed. One that does not exist is not an error.
  virtual base::Status RemoveTree(const std::string& path) = 0;

  // Regular files under `dir` (recursively) whose names end in `suffix`, sorted by path.
  virtual base::Result<std::vector<std::string>> ListFiles(const std::string& dir,
                                                           std::string_view suffix) = 0;

  // The wall clock now: when a run was made or ingested, a plan recorded, an alert triaged.
  // (Durations are timed with the monotonic clock in process.h, never with this.)
  virtual base::Timestamp Now() = 0;
};

}  // namespace perfledger::env
