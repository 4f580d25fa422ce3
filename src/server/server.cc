#include "server/server.h"

#include <fmt/format.h>
#if defined(__GLIBC__)
#include <malloc.h>  // mallopt, malloc_trim, mallinfo2: glibc only
#endif
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdio>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>
#include <vector>

#include "env/signals.h"
#include "server/http_codec.h"

namespace perfledger::server {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// A body is read in pieces of this size; the buffer exists only while a body is being read.
constexpr size_t kBodyChunk = 64u << 10;
// After a refusal with the request's body still coming, the connection's input is drained for
// this long (or this many bytes) before it is closed, so the client can read the refusal
// instead of a reset.
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 8u << 20;
// What the store's connections may cache together (each may cache 64 MB on its own): over the
// requests of bench/run_scale_bench.sh on its year store, peak RSS was 682 MB without this
// bound and 582 MB with it (one run each, 2026-12-05).
constexpr int64_t kStoreCacheMemory = 64 << 20;

class Session;

// What the connections share: the API, the workers, the options and the open connections.
struct Shared {
  Api* api = nullptr;
  const ServeOptions* options = nullptr;
  asio::thread_pool* workers = nullptr;
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::unordered_set<Session*> sessions;

  size_t Open() {
    std::lock_guard<std::mutex> lock(mu);
    return sessions.size();
  }
};

bool IsDisconnect(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == http::error::partial_message ||
         ec == beast::error::timeout || ec == asio::error::operation_aborted ||
         ec == asio::error::eof || ec == asio::error::connection_reset ||
         ec == asio::error::broken_pipe || ec == asio::error::bad_descriptor;
}

std::string_view View(beast::string_view s) { return {s.data(), s.size()}; }

// A response body that is a shared string: a cached document is sent without a copy.
struct SharedStringBody {
  using value_type = std::shared_ptr<const std::string>;

  static std::uint64_t size(const value_type& body) { return body ? body->size() : 0; }

  class writer {
   public:
    using const_buffers_type = asio::const_buffer;

    template <bool kIsRequest, class Fields>
    writer(const http::header<kIsRequest, Fields>&, const value_type& body) : body_(body) {}

    void init(beast::error_code& ec) { ec = {}; }

    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (!body_ || body_->empty()) return boost::none;
      return std::make_pair(asio::const_buffer(body_->data(), body_->size()), false);
    }

   private:
    const value_type& body_;
  };
};

// A response as it goes on the wire: compressed when the client accepts gzip and the type is
// text, its body shared with the API's cache when it came from there.
struct Outgoing {
  int status = 200;
  std::string content_type;
  std::vector<std::pair<std::string, std::string>> headers;
  std::shared_ptr<const std::string> body;
  size_t length = 0;  // Content-Length (for HEAD, of the body not sent)
  bool vary = false, gzipped = false;
};

// Compression is a worker's job for handled requests: gzip of a large document takes long
// enough to stall every connection of the strand it ran on.
Outgoing Encode(Response r, bool accepts_gzip, bool head) {
  Outgoing o;
  o.status = r.status;
  o.content_type = std::move(r.content_type);
  o.headers = std::move(r.headers);
  o.vary = Compressible(o.content_type);
  const bool encoded = std::any_of(o.headers.begin(), o.headers.end(), [](const auto& h) {
    return beast::iequals(h.first, "Content-Encoding");
  });
  const bool gzip = o.vary && accepts_gzip && !head && !encoded;
  std::shared_ptr<const SharedBody> body =
      r.shared ? std::move(r.shared) : std::make_shared<const SharedBody>(std::move(r.body));
  if (gzip) {
    const std::string& zipped = body->gzipped();
    if (!zipped.empty() || body->text().empty()) {
      o.body = std::shared_ptr<const std::string>(body, &zipped);
      o.gzipped = true;
    }
  }
  if (!o.body) o.body = std::shared_ptr<const std::string>(body, &body->text());
  o.length = o.body->size();
  if (head) o.body.reset();
  return o;
}

std::optional<std::string> Field(const http::request_header<>& h, http::field f) {
  auto it = h.find(f);
  if (it == h.end()) return std::nullopt;
  return std::string(it->value());
}

// One connection: request head, admission, body, handler, response; then the next request.
// Every step but the handler runs on the connection's strand; the handler runs on a worker.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Shared* shared) : stream_(std::move(socket)), shared_(shared) {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->sessions.insert(this);
  }
  ~Session() {
    std::lock_guard<std::mutex> lock(shared_->mu);
    shared_->sessions.erase(this);
  }

  void Start() { ReadHead(shared_->options->header_timeout); }

  // On shutdown (posted to the strand): a connection waiting for a request is closed; one in
  // the middle of a request finishes it, then closes.
  void CloseIfIdle() {
    if (!waiting_for_head_) return;
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream_.cancel();
  }

  asio::any_io_executor executor() { return stream_.get_executor(); }

 private:
  const ServeOptions& options() const { return *shared_->options; }

  void ReadHead(std::chrono::milliseconds timeout) {
    if (shared_->stopping) return Close();
    waiting_for_head_ = true;
    request_ = Request{};
    inflater_.reset();
    raw_bytes_ = 0;
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(kMaxRequestHead));
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());  // counted here instead
    stream_.expires_after(timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Session::OnHead, shared_from_this()));
  }

  void OnHead(beast::error_code ec, size_t) {
    waiting_for_head_ = false;
    start_ = Clock::now();
    if (ec == http::error::header_limit) {
      return Refuse(431, "request_header_too_large",
                    fmt::format("the request line and headers are larger than {} KiB",
                                kMaxRequestHead >> 10));
    }
    if (IsDisconnect(ec)) return Close();
    if (ec) return Refuse(400, "bad_request", fmt::format("malformed request: {}", ec.message()));
    const auto& h = parser_->get();
    request_.method = std::string(h.method_string());
    auto target = ParseTarget(View(h.target()));
    if (!target.ok()) return Refuse(400, "bad_request", target.status().message());
    request_.path = std::move(target->path);
    request_.query = std::move(target->query);
    request_.authorization = Field(h, http::field::authorization);
    request_.host = Field(h, http::field::host);
    request_.origin = Field(h, http::field::origin);
    request_.content_encoding = Field(h, http::field::content_encoding);
    if (auto n = parser_->content_length()) request_.content_length = *n;
    accepts_gzip_ = AcceptsGzip(View(h[http::field::accept_encoding]));
    keep_alive_ = h.keep_alive();
    expects_continue_ = beast::iequals(h[http::field::expect], "100-continue");
    has_body_ = !parser_->is_done();
    // Admission may read the store (tokens): a worker's job, not the strand's.
    asio::post(*shared_->workers, [self = shared_from_this()] {
      size_t limit = 0;
      std::optional<Response> refused = self->shared_->api->Admit(self->request_, &limit);
      asio::post(self->executor(), [self, refused = std::move(refused), limit]() mutable {
        self->OnAdmitted(std::move(refused), limit);
      });
    });
  }

  void OnAdmitted(std::optional<Response> refused, size_t limit) {
    if (refused) {
      Log(refused->status);
      return Write(std::move(*refused), /*closing=*/has_body_);
    }
    if (!has_body_) return Dispatch();
    body_limit_ = limit;
    std::string encoding = request_.content_encoding.value_or("identity");
    std::transform(encoding.begin(), encoding.end(), encoding.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (encoding != "identity") inflater_.emplace(limit);
    // A compressed stream of incompressible bytes is a little longer than they are.
    raw_limit_ = inflater_ ? limit + limit / 64 + 4096 : limit;
    chunk_ = std::make_unique<char[]>(kBodyChunk);
    stream_.expires_after(options().body_timeout);
    if (!expects_continue_) return ReadBody();
    auto go_on = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    http::async_write(stream_, *go_on,
                      [self = shared_from_this(), go_on](beast::error_code ec, size_t) {
                        if (ec) return self->Close();
                        self->ReadBody();
                      });
  }

  void ReadBody() {
    auto& body = parser_->get().body();
    body.data = chunk_.get();
    body.size = kBodyChunk;
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnBody, shared_from_this()));
  }

  void OnBody(beast::error_code ec, size_t) {
    if (ec == http::error::need_buffer) ec = {};
    if (IsDisconnect(ec)) return Close();
    if (ec)
      return Refuse(400, "bad_request", fmt::format("malformed request body: {}", ec.message()));
    const size_t got = kBodyChunk - parser_->get().body().size;
    raw_bytes_ += got;
    if (raw_bytes_ > raw_limit_) return RefuseTooLarge();
    const std::string_view data(chunk_.get(), got);
    std::string error;
    if (inflater_) {
      switch (inflater_->Feed(data, &request_.body, &error)) {
        case Inflater::Result::kOk:
          break;
        case Inflater::Result::kTooLarge:
          return RefuseTooLarge();
        case Inflater::Result::kCorrupt:
          return Refuse(400, "bad_request", error);
      }
    } else {
      if (request_.body.size() + got > body_limit_) return RefuseTooLarge();
      request_.body.append(data);
    }
    if (!parser_->is_done()) return ReadBody();
    if (inflater_ && inflater_->Finish(&error) != Inflater::Result::kOk) {
      return Refuse(400, "bad_request", error);
    }
    chunk_.reset();
    inflater_.reset();
    Dispatch();
  }

  void Dispatch() {
    asio::post(*shared_->workers, [self = shared_from_this()] {
      Response r = self->shared_->api->Handle(self->request_);
      self->Log(r.status);
      Outgoing o = Encode(std::move(r), self->accepts_gzip_, self->request_.method == "HEAD");
      asio::post(self->executor(), [self, o = std::move(o)]() mutable {
        self->Send(std::move(o), /*closing=*/false);
      });
    });
  }

  void RefuseTooLarge() {
    Response r = shared_->api->BodyTooLarge(request_);
    Log(r.status);
    Write(std::move(r), /*closing=*/true);
  }

  // A refusal the transport makes itself (a malformed request): the connection is closed.
  void Refuse(int status, std::string_view code, std::string_view message) {
    Response r = Api::ErrorResponse(status, code, message);
    shared_->api->metrics().ObserveRequest(
        request_.method.empty() ? "-" : request_.method, "refused", status,
        std::chrono::duration<double>(Clock::now() - start_).count());
    Log(status);
    Write(std::move(r), /*closing=*/true);
  }

  // `closing`: the request's body was not read, so the connection cannot go on.
  void Write(Response r, bool closing) {
    Send(Encode(std::move(r), accepts_gzip_, request_.method == "HEAD"), closing);
  }

  void Send(Outgoing o, bool closing) {
    closing_ = closing;
    res_.emplace(static_cast<http::status>(o.status), 11);
    res_->set(http::field::content_type, o.content_type);
    for (const auto& [name, value] : o.headers) res_->insert(name, value);
    if (o.vary) res_->set(http::field::vary, "Accept-Encoding");
    if (o.gzipped) res_->set(http::field::content_encoding, "gzip");
    res_->body() = std::move(o.body);
    res_->content_length(o.length);
    res_->keep_alive(keep_alive_ && !closing && !shared_->stopping);
    stream_.expires_after(options().body_timeout);
    http::async_write(stream_, *res_,
                      beast::bind_front_handler(&Session::OnWritten, shared_from_this()));
  }

  void OnWritten(beast::error_code ec, size_t) {
    const bool again = res_->keep_alive();
    res_.reset();
    if (ec) return Close();
    if (closing_) return Linger();
    if (!again) return Close();
    ReadHead(options().idle_timeout);
  }

  // Closes after a refusal whose request body was still coming: stops sending, then reads and
  // drops what arrives for a short while, so the client reads the refusal instead of a reset.
  void Linger() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    if (ec) return;
    chunk_ = std::make_unique<char[]>(kBodyChunk);
    lingered_ = 0;
    stream_.expires_after(kLingerTime);
    Drain();
  }

  void Drain() {
    stream_.async_read_some(asio::buffer(chunk_.get(), kBodyChunk),
                            [self = shared_from_this()](beast::error_code ec, size_t n) {
                              self->lingered_ += n;
                              if (ec || self->lingered_ > kLingerBytes) return;  // closed
                              self->Drain();
                            });
  }

  void Close() {
    beast::error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }

  void Log(int status) const {
    if (!options().access_log) return;
    fmt::print(stderr, "{} {} {} {:.1f} ms\n", request_.method, request_.path, status,
               std::chrono::duration<double, std::milli>(Clock::now() - start_).count());
  }

  beast::tcp_stream stream_;
  Shared* shared_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::buffer_body>> parser_;
  std::optional<http::response<SharedStringBody>> res_;
  Request request_;
  std::optional<Inflater> inflater_;
  std::unique_ptr<char[]> chunk_;
  Clock::time_point start_ = Clock::now();
  size_t body_limit_ = 0, raw_limit_ = 0, raw_bytes_ = 0, lingered_ = 0;
  bool waiting_for_head_ = false, has_body_ = false, keep_alive_ = false;
  bool accepts_gzip_ = false, expects_continue_ = false, closing_ = false;
};

// Accepts connections until stopped; on a full file table it waits a little and tries again.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(asio::io_context& io, Shared* shared)
      : io_(io),
        acceptor_(asio::make_strand(io)),
        retry_(acceptor_.get_executor()),
        shared_(shared) {}

  base::Result<int> Bind(const std::string& address, int port) {
    beast::error_code ec;
    const auto ip = asio::ip::make_address(address, ec);
    if (ec) return base::InvalidInput(fmt::format("--bind: '{}' is not an IP address", address));
    const tcp::endpoint endpoint(ip, static_cast<uint16_t>(port));
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    // The system's largest backlog: 32 clients connecting at once are all queued.
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      if (port == 0)
        return base::IoError(fmt::format("cannot listen on {}: {}", address, ec.message()));
      return base::IoError(fmt::format(
          "cannot listen on {}:{} (in use by another program, or not an address of this machine)",
          address, port));
    }
    return static_cast<int>(acceptor_.local_endpoint().port());
  }

  void Accept() {
    acceptor_.async_accept(asio::make_strand(io_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void Stop() {
    asio::post(acceptor_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      self->acceptor_.close(ec);
      self->retry_.cancel();
    });
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      // Out of file descriptors (or memory): the connection waits in the backlog meanwhile.
      if (!warned_)
        fmt::print(stderr, "perfledger: cannot accept a connection: {}\n", ec.message());
      warned_ = true;
      retry_.expires_after(std::chrono::milliseconds(50));
      retry_.async_wait([self = shared_from_this()](beast::error_code e) {
        if (!e) self->Accept();
      });
      return;
    }
    if (shared_->Open() >= static_cast<size_t>(shared_->options->max_connections)) {
      socket.close(ec);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), shared_)->Start();
    }
    Accept();
  }

  asio::io_context& io_;
  tcp::acceptor acceptor_;
  asio::steady_timer retry_;
  Shared* shared_;
  bool warned_ = false;
};

// Raises the soft limit on open files to the hard one: a thousand connections need more than
// the usual 1,024. Returns the limit in effect.
rlim_t RaiseFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 1024;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit wanted = limit;
    wanted.rlim_cur = std::min<rlim_t>(limit.rlim_max, 1u << 20);
    if (setrlimit(RLIMIT_NOFILE, &wanted) == 0) limit = wanted;
  }
  return limit.rlim_cur;
}

// The webhooks' watch (serve --notify) until `done`: its own store connection (opened again
// after a failure), a warning per failure that differs from the last. The notifier is stopped
// when this returns: what it had not sent yet is dropped with a warning.
void WatchForNotifications(const ServeOptions& options, const std::atomic<bool>& done) {
  if (options.notify.urls.empty()) return;
  auto notifier = service::Notifier::Start(options.notify);
  if (!notifier.ok()) {
    fmt::print(stderr, "perfledger: warning: {}\n", notifier.status().message());
    return;
  }
  service::NotifyWatcher watcher(notifier->get(), options.watch);
  std::unique_ptr<store::Store> store;
  std::string last_error;
  while (!done.load()) {
    base::Status s = base::Status::Ok();
    if (!store) {
      store::OpenOptions open;
      open.busy_timeout = std::chrono::seconds(30);
      open.clock = [env = options.api.env] { return env->Now(); };
      auto opened = store::OpenStore(options.api.db, open);
      if (opened.ok()) {
        store = std::move(*opened);
      } else {
        s = opened.status();
      }
    }
    if (store) s = watcher.Pass(*store, options.api.env->Now());
    if (!s.ok()) {
      store.reset();
      if (s.message() != last_error) {
        fmt::print(stderr, "perfledger: warning: notify: {}\n", s.message());
      }
      last_error = s.message();
    } else {
      last_error.clear();
    }
    const auto next = Clock::now() + options.notify_every;
    while (Clock::now() < next && !done.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace

base::Status Serve(const ServeOptions& options, const std::function<void(int port)>& on_listening,
                   const std::function<bool()>& stop) {
  // Two malloc arenas, not glibc's default of eight per core: each worker thread's arena kept
  // what a large answer had freed (a year's series, the index), and on the year store of
  // bench/run_scale_bench.sh peak RSS went from 490 MB to 1.45 GB over the same requests.
#if defined(__GLIBC__)
  mallopt(M_ARENA_MAX, 2);
#endif
  // The store connections' page caches, together (each may hold 64 MB on its own).
  store::LimitCacheMemory(kStoreCacheMemory);
  // SIGTERM and SIGINT are taken with sigtimedwait below, never by a handler: every thread
  // started from here on inherits the blocked mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigset_t previous;
  pthread_sigmask(SIG_BLOCK, &signals, &previous);

  ServeOptions effective = options;
  const rlim_t files = RaiseFileLimit();
  // Room for the store's files, the listening socket and whatever else the process opens.
  const auto room = static_cast<int>(std::min<rlim_t>(files > 128 ? files - 128 : 16, 1u << 20));
  effective.max_connections = std::max(1, std::min(options.max_connections, room));

  Api api(effective.api);
  Shared shared;
  shared.api = &api;
  shared.options = &effective;
  asio::io_context io(std::max(1, effective.io_threads));
  auto listener = std::make_shared<Listener>(io, &shared);
  auto port = listener->Bind(effective.bind, effective.port);
  if (!port.ok()) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return port.status();
  }
  asio::thread_pool workers(static_cast<size_t>(std::max(1, effective.threads)));
  shared.workers = &workers;
  auto work = asio::make_work_guard(io);

  // The socket listens already, so connections wait in its backlog until the loop accepts.
  if (on_listening) on_listening(*port);
  listener->Accept();
  std::vector<std::thread> io_threads;
  for (int i = 0; i < std::max(1, effective.io_threads); ++i) {
    io_threads.emplace_back([&io] {
      for (;;) {
        try {
          io.run();
          return;
        } catch (const std::exception& e) {
          // A handler threw (out of memory): that connection is lost, the server goes on.
          fmt::print(stderr, "perfledger: error on a connection: {}\n", e.what());
        }
      }
    });
  }
  std::atomic<bool> done{false};
  std::thread warm_up([&] { api.WarmUp([&] { return done.load(); }); });
  // The server's own planner (serve --plan-every): at start, then on the interval.
  std::thread planner([&] {
    if (!effective.api.planning || effective.plan_every_nanos <= 0) return;
    for (;;) {
      auto outcome = api.PlanNow();
      if (outcome.ok()) {
        size_t jobs = 0;
        for (const auto& j : outcome->plan.jobs) jobs += j.platforms.size();
        fmt::print(stderr, "perfledger: planned {} at {}: {} job{} queued\n", outcome->branch,
                   outcome->head.substr(0, 12), jobs, jobs == 1 ? "" : "s");
      } else {
        fmt::print(stderr, "perfledger: planning failed: {}\n", outcome.status().message());
      }
      const auto next = Clock::now() + std::chrono::nanoseconds(effective.plan_every_nanos);
      while (Clock::now() < next) {
        if (done.load()) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  });

  // Webhooks (serve --notify): a pass over the store every notify_every; the posting is the
  // notifier's, on threads of its own.
  std::thread notify_watch([&] { WatchForNotifications(effective, done); });

  for (;;) {
    const int sig = env::WaitForSignal(signals, std::chrono::milliseconds(200));
    if (sig == SIGTERM || sig == SIGINT || (stop && stop())) break;
  }
  // Stop accepting, close the connections waiting for a request, let the requests in flight
  // finish (each connection closes after its response), then stop.
  shared.stopping = true;
  listener->Stop();
  {
    std::lock_guard<std::mutex> lock(shared.mu);
    for (Session* s : shared.sessions) {
      asio::post(s->executor(), [weak = s->weak_from_this()] {
        if (auto self = weak.lock()) self->CloseIfIdle();
      });
    }
  }
  const auto deadline = Clock::now() + effective.body_timeout + std::chrono::seconds(5);
  while (shared.Open() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  done = true;  // also cancels a warm-up still running
  work.reset();
  io.stop();
  for (auto& t : io_threads) t.join();
  workers.join();
  warm_up.join();
  planner.join();
  notify_watch.join();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return base::Status::Ok();
}

}  // namespace perfledger::server
