// HttpClient: requests to one HTTP server, for `perfledger agent` talking to `perfledger serve`.
// Network access is an effect on the OS like files and processes, so it lives here; what the
// requests mean (paths, JSON bodies, status codes) is the caller's.
//
// The base URL is http://HOST[:PORT][/PREFIX] (or https://, checked against the system's CA
// certificates): every request path is appended to PREFIX, so a server behind a reverse proxy
// at https://ci.example.com/perf works as one at http://127.0.0.1:8080. Each request opens its
// own connection and keeps nothing, so one client may be used from several threads at once.
// cpp-httplib's types stay in http_client.cc.
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"

namespace perfledger::env {

struct HttpResponse {
  int status = 0;
  std::string body;
  std::string content_type;
};

class HttpClient {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  // Checks the URL: kInvalidInput naming it and the expected form when it is not
  // http(s)://HOST[:PORT][/PREFIX] (no query, no fragment, no user:password@).
  static base::Result<HttpClient> Open(const std::string& base_url);

  // The URL a request path goes to (for messages): "http://host:8080/perf/api/v1/...".
  std::string UrlOf(const std::string& path) const;

  // POSTs `body` to PREFIX + path (which starts with '/'). Any HTTP status is a response;
  // kIoError when no response came (connection refused, a timeout, a TLS failure), naming the
  // URL and the reason.
  base::Result<HttpResponse> Post(const std::string& path, const std::string& body,
                                  const std::string& content_type, const Headers& headers) const;

  // How long to wait for a connection, and for each read or write once connected.
  std::chrono::seconds connect_timeout{10};
  std::chrono::seconds io_timeout{120};

 private:
  std::string scheme_, host_;  // "http", "127.0.0.1" (an IPv6 address without brackets)
  int port_ = 0;
  std::string prefix_;  // "" or "/perf" (no trailing '/')
};

}  // namespace perfledger::env
