#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "env/env.h"

namespace perfledger::env {
namespace {

namespace fs = std::filesystem;
using base::Result;
using base::Status;

Status ErrnoStatus(const std::string& what, const std::string& path, int err) {
  std::string msg = fmt::format("{}: cannot {}: {}", path, what, std::strerror(err));
  if (err == ENOENT) return base::NotFound(std::move(msg));
  return base::IoError(std::move(msg));
}

std::string FormatBytes(size_t n) {
  if (n >= (size_t{1} << 30) && n % (size_t{1} << 30) == 0) return fmt::format("{} GiB", n >> 30);
  if (n >= (size_t{1} << 20) && n % (size_t{1} << 20) == 0) return fmt::format("{} MiB", n >> 20);
  if (n >= (size_t{1} << 10) && n % (size_t{1} << 10) == 0) return fmt::format("{} KiB", n >> 10);
  return fmt::format("{} bytes", n);
}

class PosixEnv final : public Env {
 public:
  Result<std::string> ReadFile(const std::string& path, size_t max_bytes) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("read file", path, errno);
    std::string out;
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0) {
      out.reserve(std::min(static_cast<size_t>(st.st_size), max_bytes) + 1);
    }
    char buf[1 << 16];
    while (true) {
      const size_t want = std::min(sizeof buf, max_bytes + 1 - out.size());
      ssize_t n = ::read(fd, buf, want);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return ErrnoStatus("read file", path, err == EISDIR ? EISDIR : err);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > max_bytes) {
        ::close(fd);
        return base::InvalidInput(fmt::format("{}: larger than the limit of {} for this input",
                                              path, FormatBytes(max_bytes)));
      }
    }
    ::close(fd);
    return out;
  }

  Result<std::string> ResolveInside(const std::string& root, const std::string& relative) override {
    std::error_code ec;
    const fs::path base = fs::canonical(root, ec);
    if (ec) return ErrnoStatus("resolve directory", root, ec.value());
    fs::path rel(relative);
    rel = rel.relative_path();  // "/assets/x.js" is inside root, never the file system's root
    const fs::path target = fs::canonical(base / rel, ec);
    const std::string shown = (fs::path(root) / rel).string();
    if (ec) return ErrnoStatus("resolve file", shown, ec.value());
    // Inside: root itself is a prefix of the resolved path, component by component.
    auto [root_end, target_it] =
        std::mismatch(base.begin(), base.end(), target.begin(), target.end());
    if (root_end != base.end()) {
      return base::NotFound(fmt::format("{}: resolves to a place outside {}", shown, root));
    }
    (void)target_it;
    if (!fs::is_regular_file(target, ec)) {
      return base::NotFound(fmt::format("{}: not a regular file", shown));
    }
    return target.string();
  }

  Status WriteFileAtomic(const std::string& path, std::string_view contents) override {
    std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return ErrnoStatus("create file", tmp, errno);
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        return ErrnoStatus("write file", tmp, err);
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus("write file", tmp, err);
    }
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      return ErrnoStatus("replace file", path, err);
    }
    return Status::Ok();
  }

  bool Exists(const std::string& path) override {
    std::error_code ec;
    return fs::exists(path, ec);
  }

  bool IsDirectory(const std::string& path) override {
    std::error_code ec;
    return fs::is_directory(path, ec);
  }

  Status RemoveFile(const std::string& path) override {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return base::IoError(fmt::format("{}: cannot remove: {}", path, std::strerror(errno)));
    }
    return Status::Ok();
  }

  Status Rename(const std::string& from, const std::string& to) override {
    if (::rename(from.c_str(), to.c_str()) != 0) {
      return base::IoError(
          fmt::format("{}: cannot rename to {}: {}", from, to, std::strerror(errno)));
    }
    return Status::Ok();
  }

  Status RemoveTree(const std::string& path) override {
    std::error_code ec;
    fs::remove_all(path, ec);
    if (ec) return base::IoError(fmt::format("{}: cannot remove: {}", path, ec.message()));
    return Status::Ok();
  }

  Status CreateDirectories(const std::string& path) override {
    std::error_code ec;
    fs::create_directories(path, ec);
    if (ec)
      return base::IoError(fmt::format("{}: cannot create directory: {}", path, ec.message()));
    return Status::Ok();
  }

  Result<std::vector<std::string>> ListFiles(const std::string& dir,
                                             std::string_view suffix) override {
    std::vector<std::string> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec);
    if (ec) {
      return ErrnoStatus("read directory", dir, ec.value());
    }
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) return ErrnoStatus("read directory", it->path().string(), ec.value());
      const auto& entry = *it;
      std::error_code type_ec;
      if (!entry.is_regular_file(type_ec)) continue;
      std::string name = entry.path().filename().string();
      if (name.size() >= suffix.size() && name.ends_with(suffix) && name[0] != '.') {
        out.push_back(entry.path().string());
      }
    }
    if (ec) return ErrnoStatus("read directory", dir, ec.value());
    std::sort(out.begin(), out.end());
    return out;
  }

  base::Timestamp Now() override { return base::SystemNow(); }
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

}  // namespace perfledger::env
