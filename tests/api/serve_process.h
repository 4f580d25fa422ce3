// `perfledger serve` as a child process for the cross-layer API tests (api_http_test,
// cluster_test): started on a free loopback port, talked to with cpp-httplib's client,
// stopped with SIGTERM. Killed with the test process if that dies first.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "subprocess.h"

namespace perfledger::serve_process {

namespace fs = std::filesystem;
using nlohmann::json;
using subprocess::Outcome;

// The perfledger binary the tests run (PERFLEDGER_BIN, set by CMake).
inline const std::string& Binary() {
  static const std::string bin = PERFLEDGER_BIN;
  return bin;
}

inline std::string ReadFile(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The number that follows `marker` in `text`, if any.
inline std::optional<int> NumberAfter(const std::string& text, const std::string& marker) {
  const size_t at = text.find(marker);
  if (at == std::string::npos) return std::nullopt;
  size_t end = at + marker.size();
  while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) ++end;
  if (end == at + marker.size()) return std::nullopt;
  return std::stoi(text.substr(at + marker.size(), end - at - marker.size()));
}

// One answer of the server; status 0 when the request itself failed (then `error` says why).
struct Reply {
  int status = 0;
  std::string body;
  httplib::Headers headers;
  std::string error;

  json Json() const {
    json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << "not JSON (status " << status << "): " << body.substr(0, 300);
    return j;
  }
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
  std::string Code() const {
    json j = Json();
    return j.is_object() && j.contains("error") ? j["error"].value("code", "") : "";
  }
};

inline Reply From(const httplib::Result& r) {
  Reply out;
  if (!r) {
    out.error = httplib::to_string(r.error());
    return out;
  }
  out.status = r->status;
  out.body = r->body;
  out.headers = r->headers;
  return out;
}

// Starts argv with stdout and stderr sent to files, as subprocess::Start does, and so that it
// is killed when this process dies: a crashed test leaves no server behind.
inline pid_t Spawn(const std::vector<std::string>& argv, const std::string& out_path,
                   const std::string& err_path) {
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died already
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    const int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    close(out);
    close(err);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

// `perfledger serve` as a child process on a free loopback port.
class Server {
 public:
  Server(const fs::path& dir, const std::string& db, std::vector<std::string> extra = {}) {
    static int serial = 0;
    const std::string name = "serve-" + std::to_string(++serial);
    out_ = dir / (name + ".out");
    err_ = dir / (name + ".err");
    std::vector<std::string> argv = {Binary(), "--db", db, "serve", "--port", "0"};
    argv.insert(argv.end(), extra.begin(), extra.end());
    pid_ = Spawn(argv, out_.string(), err_.string());
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      // "perfledger: serving ... on http://127.0.0.1:PORT/ (...)"
      if (auto port = NumberAfter(ReadFile(out_), " on http://127.0.0.1:")) {
        port_ = *port;
        return;
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        ADD_FAILURE() << "perfledger serve exited early: " << ReadFile(err_);
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "perfledger serve did not say where it listens: " << ReadFile(out_)
                  << ReadFile(err_);
  }

  ~Server() {
    if (pid_ > 0) {
      ADD_FAILURE() << "a server was left running: killed";
      kill(pid_, SIGKILL);
      subprocess::Wait(pid_);
    }
  }

  int port() const { return port_; }
  pid_t pid() const { return pid_; }

  // Sends SIGTERM and waits (at most 30 s) for the server to exit.
  Outcome Stop() {
    Outcome o;
    if (pid_ <= 0) return o;
    kill(pid_, SIGTERM);
    o = WaitExit(std::chrono::seconds(30));
    return o;
  }

  // Stops the server and checks it stopped the way it should: exit status 0, said so.
  void StopCleanly() {
    Outcome o = Stop();
    EXPECT_EQ(o.exit_code, 0) << "signal " << o.signal << ", stderr: " << o.err;
    EXPECT_NE(o.out.find("perfledger: stopped"), std::string::npos) << o.out;
  }

  Outcome WaitExit(std::chrono::seconds limit) {
    Outcome o;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "perfledger serve did not exit within " << limit.count() << " s";
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    o.out = ReadFile(out_);
    o.err = ReadFile(err_);
    return o;
  }

  std::unique_ptr<httplib::Client> Client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_connection_timeout(10);
    c->set_read_timeout(60);
    c->set_write_timeout(60);
    return c;
  }

  Reply Get(const std::string& path, const std::optional<std::string>& token = std::nullopt) {
    return From(Client()->Get(path, Auth(token)));
  }
  Reply Post(const std::string& path, const std::string& body,
             const std::optional<std::string>& token = std::nullopt) {
    return From(Client()->Post(path, Auth(token), body, "application/json"));
  }
  Reply Patch(const std::string& path, const std::string& body,
              const std::optional<std::string>& token = std::nullopt) {
    return From(Client()->Patch(path, Auth(token), body, "application/json"));
  }
  Reply Delete(const std::string& path) { return From(Client()->Delete(path)); }

  static httplib::Headers Auth(const std::optional<std::string>& token) {
    httplib::Headers h;
    if (token) h.emplace("Authorization", "Bearer " + *token);
    return h;
  }

 private:
  fs::path out_, err_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace perfledger::serve_process
