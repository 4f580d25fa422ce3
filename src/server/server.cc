#include "server/server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace perfledger::server {
namespace {

Request FromHttplib(const httplib::Request& req) {
  Request r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params) r.query.emplace(k, v);
  if (req.has_header("Authorization")) r.authorization = req.get_header_value("Authorization");
  r.body = req.body;
  return r;
}

// cpp-httplib picks a response's encoding from the request's Accept-Encoding after the handler
// returns, and prefers brotli whenever it is offered, at brotli's default quality (11): about
// 0.5 MB/s here, so 2.1 s for a 1.3 MB series that gzip compresses in 20 ms. Browsers offer br
// on every request, so the library is shown gzip alone (or nothing) instead. The Request is the
// library's own non-const object, handed to handlers as const.
void OfferGzipOnly(const httplib::Request& req) {
  auto& headers = const_cast<httplib::Request&>(req).headers;
  auto [lo, hi] = headers.equal_range("Accept-Encoding");
  bool gzip = false;
  for (auto it = lo; it != hi; ++it) gzip = gzip || it->second.find("gzip") != std::string::npos;
  headers.erase(lo, hi);
  if (gzip) headers.emplace("Accept-Encoding", "gzip");
}

void ToHttplib(Response r, httplib::Response& res) {
  res.status = r.status;
  for (auto& [k, v] : r.headers) res.set_header(k, v);
  res.set_content(std::move(r.body), r.content_type);
}

}  // namespace

base::Status Serve(const ServeOptions& options, const std::function<void(int port)>& on_listening,
                   const std::function<bool()>& stop) {
  // SIGTERM and SIGINT are taken with sigtimedwait below, never by a handler: every thread
  // started from here on inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);

  Api api(options.api);
  httplib::Server http;
  const int threads = options.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(options.api.max_body);
  http.set_keep_alive_max_count(100);
  // A response goes out in two writes, headers then body: with Nagle's algorithm the body
  // waited for the client's delayed ACK of the headers, 40 ms on every upload.
  http.set_tcp_nodelay(true);
  // An idle keep-alive connection (an open dashboard) holds its worker until this runs out,
  // and shutdown waits for the workers: keep it short.
  http.set_keep_alive_timeout(2);
  // cpp-httplib listens with a backlog of 5: 32 clients connecting at once overflowed it on a
  // busy machine, and each connection the kernel dropped failed its first request after a
  // second. The listening socket is noted as the library makes it, and given the system's
  // maximum once bound (listen again only sets the backlog).
  int listening = -1;
  http.set_socket_options([&listening](socket_t sock) {
    httplib::default_socket_options(sock);
    listening = sock;
  });
  auto handle = [&api, &options](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    OfferGzipOnly(req);
    Response r = api.Handle(FromHttplib(req));
    if (options.access_log) {
      fmt::print(stderr, "{} {} {} {:.1f} ms\n", req.method, req.path, r.status,
                 std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
                     .count());
    }
    ToHttplib(std::move(r), res);
  };
  http.Get(".*", handle);
  http.Post(".*", handle);
  http.Put(".*", handle);
  http.Patch(".*", handle);
  http.Delete(".*", handle);
  http.Options(".*", handle);
  // cpp-httplib answers some requests itself (a body above the limit: 413; a malformed
  // request: 400); give those the API's error body too.
  http.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string code = "bad_request", message = "malformed request";
    if (res.status == 413) {
      code = "payload_too_large";
      message = "request body too large (perfledger serve --max-body sets the limit)";
    } else if (res.status == 404) {
      code = "not_found";
      message = "not found";
    }
    res.set_content(fmt::format(R"({{"error":{{"code":"{}","message":"{}"}}}})", code, message),
                    "application/json");
  });

  int port = options.port;
  if (port == 0) {
    port = http.bind_to_any_port(options.bind);
    if (port < 0) {
      pthread_sigmask(SIG_SETMASK, &previous, nullptr);
      return base::IoError(fmt::format("cannot listen on {}: no free port", options.bind));
    }
  } else if (!http.bind_to_port(options.bind, port)) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return base::IoError(fmt::format(
        "cannot listen on {}:{} (in use by another program, or not an address of this machine)",
        options.bind, port));
  }

  if (listening >= 0) ::listen(listening, SOMAXCONN);

  std::atomic<bool> done{false};
  std::thread watcher([&] {
    while (!done.load()) {
      timespec tick{0, 200'000'000};
      const int sig = sigtimedwait(&signals, nullptr, &tick);
      if (sig == SIGTERM || sig == SIGINT || (stop && stop())) {
        // Stops accepting; listen_after_bind returns once the requests in flight are done.
        http.stop();
        return;
      }
    }
  });
  // The socket listens already (bind_to_port), so connections wait in its backlog until the
  // accept loop runs.
  if (on_listening) on_listening(port);
  std::thread warm_up([&] { api.WarmUp([&] { return done.load(); }); });
  http.listen_after_bind();
  done = true;  // also cancels a warm-up still running
  watcher.join();
  warm_up.join();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return base::Status::Ok();
}

}  // namespace perfledger::server
