// `perfledger serve`: the API (server/api.h) and the dashboard over HTTP/1.1, event-driven
// (Boost.Beast over Asio): a connection costs a socket and a few kilobytes until its request
// head is complete, so slow and idle clients hold no thread. Each request is admitted by
// Api::Admit (host, route, token, declared size) before its body is read; the body is then read
// in chunks, inflated as it streams and counted against the route's limit, and the API's
// handler runs on a pool of `threads` workers.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/status.h"
#include "server/api.h"
#include "service/notify.h"

namespace perfledger::server {

struct ServeOptions {
  ApiOptions api;
  std::string bind = "127.0.0.1";
  int port = 8080;          // 0: any free port
  int threads = 32;         // requests handled at once (the API's handlers)
  int io_threads = 2;       // threads moving bytes for every connection
  bool access_log = false;  // one line per request on stderr
  // From a connection's start to its first request head being complete.
  std::chrono::milliseconds header_timeout{10'000};
  // From a response to the next request head being complete (keep-alive).
  std::chrono::milliseconds idle_timeout{5'000};
  // For a request's body to arrive, and for a response to be taken by the client.
  std::chrono::milliseconds body_timeout{120'000};
  // Connections open at once; more are closed as they arrive. Lowered to what the process's
  // file descriptor limit allows (which Serve raises to its hard limit).
  int max_connections = 10'000;
  // With ApiOptions::planning: plan at start and then every this many nanoseconds (0: only
  // on POST .../push). Each plan's outcome is a line on stderr.
  int64_t plan_every_nanos = 0;
  // Webhooks (serve --notify): new alert groups and stalls, looked for every `notify_every`
  // on a store connection of their own and posted from the notifier's threads.
  service::NotifyOptions notify;
  service::WatchOptions watch;
  std::chrono::milliseconds notify_every{2'000};
};

// The largest request head (request line and headers) a connection may send: 431 above it.
inline constexpr size_t kMaxRequestHead = 16u << 10;

// Serves until SIGTERM or SIGINT arrives (or `stop` returns true, polled a few times a second),
// then stops accepting, lets requests in flight finish, and returns. `on_listening` is called
// with the bound port once connections are accepted.
base::Status Serve(const ServeOptions& options, const std::function<void(int port)>& on_listening,
                   const std::function<bool()>& stop = nullptr);

}  // namespace perfledger::server
