// `perfledger serve`: the API (server/api.h) and the dashboard over HTTP with cpp-httplib.
#pragma once

#include <functional>
#include <string>

#include "base/status.h"
#include "server/api.h"

namespace perfledger::server {

struct ServeOptions {
  ApiOptions api;
  std::string bind = "127.0.0.1";
  int port = 8080;  // 0: any free port
  int threads = 16;
  bool access_log = false;  // one line per request on stderr
};

// Serves until SIGTERM or SIGINT arrives (or `stop` returns true, polled a few times a second),
// then stops accepting, lets requests in flight finish, and returns. `on_listening` is called
// with the bound port once connections are accepted.
base::Status Serve(const ServeOptions& options, const std::function<void(int port)>& on_listening,
                   const std::function<bool()>& stop = nullptr);

}  // namespace perfledger::server
