#include <fcntl.h>
#include <fmt/format.h>
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

class PosixEnv final : public Env {
 public:
  Result<std::string> ReadFile(const std::string& path) override {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoStatus("read file", path, errno);
    std::string out;
    char buf[1 << 16];
    while (true) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        return ErrnoStatus("read file", path, err == EISDIR ? EISDIR : err);
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
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
};

}  // namespace

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();
  return env;
}

}  // namespace perfledger::env
