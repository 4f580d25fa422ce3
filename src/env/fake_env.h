// FakeEnv: an Env for tests whose clock stands still until the test moves it. Files are the
// wrapped Env's (the real one unless told otherwise), so a test keeps its temporary
// directories and fixes only the time. Thread-safe like the Env it wraps.
#pragma once

#include <atomic>
#include <cstdint>

#include "env/env.h"

namespace perfledger::env {

class FakeEnv final : public Env {
 public:
  explicit FakeEnv(base::Timestamp now, Env* files = Env::Default())
      : files_(files), now_(now.unix_nanos) {}

  void SetNow(base::Timestamp now) { now_ = now.unix_nanos; }
  void Advance(int64_t nanos) { now_ += nanos; }

  base::Timestamp Now() override { return base::Timestamp{now_.load()}; }

  base::Result<std::string> ReadFile(const std::string& path, size_t max_bytes) override {
    return files_->ReadFile(path, max_bytes);
  }
  using Env::ReadFile;
  base::Result<std::string> ResolveInside(const std::string& root,
                                          const std::string& relative) override {
    return files_->ResolveInside(root, relative);
  }
  base::Status WriteFileAtomic(const std::string& path, std::string_view contents) override {
    return files_->WriteFileAtomic(path, contents);
  }
  bool Exists(const std::string& path) override { return files_->Exists(path); }
  bool IsDirectory(const std::string& path) override { return files_->IsDirectory(path); }
  base::Status CreateDirectories(const std::string& path) override {
    return files_->CreateDirectories(path);
  }
  base::Status RemoveFile(const std::string& path) override { return files_->RemoveFile(path); }
  base::Status Rename(const std::string& from, const std::string& to) override {
    return files_->Rename(from, to);
  }
  base::Status RemoveTree(const std::string& path) override { return files_->RemoveTree(path); }
  base::Result<std::vector<std::string>> ListFiles(const std::string& dir,
                                                   std::string_view suffix) override {
    return files_->ListFiles(dir, suffix);
  }

 private:
  Env* files_;
  std::atomic<int64_t> now_;
};

}  // namespace perfledger::env
