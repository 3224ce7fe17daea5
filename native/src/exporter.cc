// The /metrics endpoint on cpp-httplib (exporter.h).
//
// How this file keeps cpp-httplib 0.11.4's own behaviour out of the way (checked against the library, and
// by tests/native/exporter_test.cc):
// - A response body with a `text/*` Content-Type is compressed by the library whenever the request's
//   Accept-Encoding merely *contains* "br" or "gzip" (even "gzip;q=0", even 5 bytes; brotli first; and
//   again on top of a body we gzip'd), never for application/openmetrics-text. The only input of that
//   decision we control is the request: our handlers read Accept-Encoding and then remove it from the
//   request (cpp-httplib's Request is a non-const local of the connection loop, handed to handlers as
//   const&; nothing after the handler but that decision and the logger reads the header). So gzip is
//   ours alone.
// - Bodies are plain response bodies, not content providers: cpp-httplib stops writing a provider's
//   body as soon as the server is stopping, which would cut the scrapes a graceful stop lets finish.
// - A GET handler also answers HEAD: the library writes the headers (Content-Length of the body) and
//   skips the body, so HEAD has exactly GET's headers.
// - Handler patterns are std::regex: the path is escaped.
// - The default socket options set SO_REUSEPORT: ConfigureServer replaces them.
#include "golivekit/observability/exporter.h"

#include <httplib.h>
#include <sys/socket.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "golivekit/observability/collectors.h"
#include "golivekit/observability/counter.h"
#include "golivekit/observability/encode.h"
#include "golivekit/observability/gauge.h"
#include "golivekit/observability/negotiation.h"
#include "golivekit/observability/snapshot.h"
#include "http_util.h"

namespace golivekit::observability {
namespace {

// gzip level 1: exposition text still shrinks ~5-10x, at a fraction of the default level's CPU cost
// (the scrape endpoint's cost is mostly compression once gzip is on).
constexpr int kGzipLevel = Z_BEST_SPEED;

constexpr std::string_view kPlainText = "text/plain; charset=utf-8";
constexpr std::string_view kTooManyScrapes = "too many concurrent scrapes, retry later\n";
constexpr std::string_view kMethodNotAllowed = "method not allowed: use GET or HEAD\n";
constexpr std::string_view kInternalError = "internal error while producing the metrics\n";

// ---------------------------------------------------------------------------------------------------
// Shared gathers. A registry serializes its gathers (and platform collectors read /proc under its lock),
// so N scrapes arriving together would run N gathers one after the other. Instead, a scrape that finds a
// gather running waits for it to end and then shares the *next* gather with every other scrape that
// waited: each response still reflects a gather that started after its request arrived, and a burst
// of N concurrent scrapes costs about two gathers instead of N.

// Snapshots no scrape holds any more, kept for the next gathers to refill: their families, series and
// strings keep their capacity, so a steady-state gather allocates almost nothing. A snapshot comes back
// when its last holder lets go (the deleter of the shared pointer scrapes get), under the pool's own
// mutex, so the next gather's writes are ordered after every scrape's reads.
class SnapshotPool {
 public:
  SnapshotPool() { free_.reserve(kKept); }

  std::unique_ptr<Snapshot> Take() {
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.empty()) return std::make_unique<Snapshot>();
    std::unique_ptr<Snapshot> s = std::move(free_.back());
    free_.pop_back();
    return s;
  }

  void Put(Snapshot* released) noexcept {
    std::unique_ptr<Snapshot> s(released);
    std::lock_guard<std::mutex> lock(mu_);
    if (free_.size() < kKept) free_.push_back(std::move(s));  // reserved: never allocates
  }

 private:
  // A burst of concurrent scrapes shares one gather, so rarely more than two are in use at once.
  static constexpr std::size_t kKept = 2;
  std::mutex mu_;
  std::vector<std::unique_ptr<Snapshot>> free_;
};

class SharedGather {
 public:
  // A snapshot of a gather that started after this call began.
  std::shared_ptr<const Snapshot> Fresh(const Registry& registry) {
    std::unique_lock<std::mutex> lock(mu_);
    const std::uint64_t need = started_ + 1;  // the next gather to start, or a later one
    while (finished_ < need) {
      if (running_) {
        cv_.wait(lock);
        continue;
      }
      running_ = true;
      const std::uint64_t generation = ++started_;
      lock.unlock();
      std::shared_ptr<const Snapshot> snapshot;
      try {
        snapshot = Gather(registry);
      } catch (...) {
        lock.lock();
        running_ = false;
        cv_.notify_all();
        throw;
      }
      lock.lock();
      running_ = false;
      finished_ = generation;
      last_ = std::move(snapshot);
      cv_.notify_all();
    }
    return last_;
  }

 private:
  // A gather into a pooled snapshot, which returns to the pool when the last scrape lets go of it.
  std::shared_ptr<const Snapshot> Gather(const Registry& registry) {
    std::unique_ptr<Snapshot> s = pool_->Take();
    registry.Gather(*s);
    // If the control block cannot be allocated, the deleter runs: the snapshot goes back to the pool.
    return std::shared_ptr<const Snapshot>(s.release(), [pool = pool_](const Snapshot* done) {
      pool->Put(const_cast<Snapshot*>(done));  // created non-const by Take
    });
  }

  std::shared_ptr<SnapshotPool> pool_ = std::make_shared<SnapshotPool>();
  std::mutex mu_;
  std::condition_variable cv_;
  bool running_ = false;
  std::uint64_t started_ = 0;   // generation of the last gather started
  std::uint64_t finished_ = 0;  // generation of the last gather finished (last_)
  std::shared_ptr<const Snapshot> last_;
};

// ---------------------------------------------------------------------------------------------------
// Self-metrics and shared gathers, once per registry.

struct SelfMetrics {
  SharedGather gather;
  std::shared_ptr<Counter> requests;
  std::shared_ptr<Gauge> in_flight;
  std::shared_ptr<Counter> errors;
  CounterChild code_200;
  CounterChild code_500;
  CounterChild code_503;
  CounterChild collect_errors;
  // Registry::failed_collects() already accounted for in collect_errors.
  std::atomic<std::uint64_t> seen_failed_collects{0};

  // Adds the collect failures the registry counted since the last call (from any thread, each once).
  void NoteFailedCollects(std::uint64_t now) noexcept {
    std::uint64_t seen = seen_failed_collects.load(std::memory_order_relaxed);
    while (now > seen) {
      if (seen_failed_collects.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
        (void)collect_errors.Add(static_cast<double>(now - seen));
        return;
      }
    }
  }
};

struct SelfMetricsTable {
  std::mutex mu;
  std::vector<std::pair<std::weak_ptr<Registry>, std::shared_ptr<SelfMetrics>>> entries;
};

// Never destroyed: server threads may still serve scrapes while static destructors run.
SelfMetricsTable& Table() {
  static auto* table = new SelfMetricsTable;
  return *table;
}

Status RegisterSelfMetrics(Registry& registry, SelfMetrics& self) {
  self.requests = NewCounter({
      .name = "golivekit_metrics_handler_requests_total",
      .help = "Total number of scrapes of the metrics endpoint, by HTTP status code.",
      .labels = {"code"},
  });
  self.in_flight = NewGauge({
      .name = "golivekit_metrics_handler_requests_in_flight",
      .help = "Current number of scrapes being served.",
  });
  self.errors = NewCounter({
      .name = "golivekit_metrics_handler_errors_total",
      .help = "Total number of internal errors of the metrics endpoint, by cause "
              "(collect: a collector failed and was left out of a scrape).",
      .labels = {"cause"},
  });
  std::vector<std::shared_ptr<Collector>> done;
  for (const std::shared_ptr<Collector>& c :
       {std::shared_ptr<Collector>(self.requests), std::shared_ptr<Collector>(self.in_flight),
        std::shared_ptr<Collector>(self.errors)}) {
    if (Status st = registry.Register(c); !st.ok()) {
      for (const auto& d : done) registry.Unregister(d);
      return st;
    }
    done.push_back(c);
  }
  // Like promhttp: the series an alert would look for exist from the start, at 0.
  self.code_200 = self.requests->WithLabels("200");
  self.code_500 = self.requests->WithLabels("500");
  self.code_503 = self.requests->WithLabels("503");
  self.collect_errors = self.errors->WithLabels("collect");
  return {};
}

// The self-metrics of `registry`, registered on first use.
std::shared_ptr<SelfMetrics> SelfMetricsFor(const std::shared_ptr<Registry>& registry, Status& status) {
  SelfMetricsTable& table = Table();
  std::lock_guard<std::mutex> lock(table.mu);
  auto& entries = table.entries;
  std::erase_if(entries, [](const auto& e) { return e.first.expired(); });
  for (const auto& e : entries) {
    if (e.first.lock() == registry) return e.second;
  }
  auto self = std::make_shared<SelfMetrics>();
  if (status = RegisterSelfMetrics(*registry, *self); !status.ok()) return nullptr;
  self->seen_failed_collects.store(registry->failed_collects(), std::memory_order_relaxed);
  entries.emplace_back(registry, self);
  return self;
}

// ---------------------------------------------------------------------------------------------------
// Per-thread state of the worker threads: a zlib stream reused from scrape to scrape (deflateReset instead
// of allocating and initializing ~270 KB of deflate state per response), and the output buffers.

struct ThreadState {
  z_stream zs{};
  bool zs_ready = false;
  // The encoded body and its gzip'd form, kept with their capacity from one scrape to the next: a
  // response then costs one allocation (its own copy), not the encoder's and zlib's growing buffers.
  std::string body;
  std::string gzipped;

  ThreadState() = default;
  ThreadState(const ThreadState&) = delete;
  ThreadState& operator=(const ThreadState&) = delete;
  ~ThreadState() {
    if (zs_ready) deflateEnd(&zs);
  }

  // `in` gzip'd into `out`; false if zlib fails (the body is then sent uncompressed).
  bool Gzip(std::string& in, std::string& out) {
    if (in.size() > UINT_MAX / 2) return false;
    if (!zs_ready) {
      if (deflateInit2(&zs, kGzipLevel, Z_DEFLATED, 15 + 16 /* gzip header */, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK) {
        return false;
      }
      zs_ready = true;
    } else if (deflateReset(&zs) != Z_OK) {
      return false;
    }
    const uLong bound = deflateBound(&zs, static_cast<uLong>(in.size()));
    out.resize(bound);
    zs.next_in = reinterpret_cast<Bytef*>(in.data());
    zs.avail_in = static_cast<uInt>(in.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(bound);
    if (deflate(&zs, Z_FINISH) != Z_STREAM_END) return false;
    out.resize(static_cast<std::size_t>(bound - zs.avail_out));
    return true;
  }
};

ThreadState& State() {
  thread_local ThreadState state;
  return state;
}

// The request's Accept-Encoding, removed from the request so that cpp-httplib does not compress our
// response itself (see the top of this file). `req` is never a const object (see above).
std::string TakeAcceptEncoding(const httplib::Request& req) {
  std::string value = req.get_header_value("Accept-Encoding");
  const_cast<httplib::Request&>(req).headers.erase("Accept-Encoding");
  return value;
}

void Serve(httplib::Response& res, std::string&& body, std::string_view content_type) {
  res.body = std::move(body);
  res.set_header("Content-Type", std::string(content_type));
}

void Serve(httplib::Response& res, std::string_view text) { Serve(res, std::string(text), kPlainText); }

// ---------------------------------------------------------------------------------------------------
// The endpoint.

struct Endpoint {
  std::shared_ptr<Registry> registry;
  std::shared_ptr<SelfMetrics> self;
  ExporterOpts opts;
  std::atomic<int> scrapes{0};  // in flight on this endpoint
};

std::string_view QueryOf(const std::string& target) noexcept {
  const std::size_t q = target.find('?');
  if (q == std::string::npos) return {};
  std::string_view query(target);
  query.remove_prefix(q + 1);
  if (const std::size_t hash = query.find('#'); hash != std::string_view::npos) query = query.substr(0, hash);
  return query;
}

void Scrape(Endpoint& ep, const httplib::Request& req, httplib::Response& res) {
  const std::string accept_encoding = TakeAcceptEncoding(req);
  SelfMetrics& self = *ep.self;
  self.in_flight->Inc();
  const int running = ep.scrapes.fetch_add(1, std::memory_order_acq_rel) + 1;
  struct Leave {
    Endpoint& ep;
    ~Leave() {
      ep.scrapes.fetch_sub(1, std::memory_order_acq_rel);
      ep.self->in_flight->Dec();
    }
  } leave{ep};

  if (ep.opts.max_concurrent_scrapes > 0 && running > ep.opts.max_concurrent_scrapes) {
    res.status = 503;
    res.set_header("Retry-After", "1");
    Serve(res, kTooManyScrapes);
    self.code_503.Inc();
    return;
  }

  try {
    const Format format = NegotiateFormat(
        req.get_header_value("Accept"),
        AcceptedFormats{.openmetrics = ep.opts.enable_openmetrics, .protobuf = ep.opts.enable_protobuf});
    const std::shared_ptr<const Snapshot> gathered = self.gather.Fresh(*ep.registry);
    self.NoteFailedCollects(ep.registry->failed_collects());
    const Snapshot* snapshot = gathered.get();
    Snapshot filtered;
    if (auto names = ParseNameFilter(QueryOf(req.target))) {
      filtered = FilterFamilies(*gathered, *names);
      snapshot = &filtered;
    }

    ThreadState& state = State();
    std::string& body = state.body;
    body.clear();
    Encode(*snapshot, format, body);

    res.status = 200;
    // Two field lines (a list, RFC 9110 §5.3): the first is the one that always applies.
    res.set_header("Vary", "Accept-Encoding");
    if (ep.opts.enable_openmetrics || ep.opts.enable_protobuf) res.set_header("Vary", "Accept");
    if (body.size() >= ep.opts.gzip_min_bytes && AcceptsGzip(accept_encoding) &&
        state.Gzip(body, state.gzipped)) {
      res.set_header("Content-Encoding", "gzip");
      Serve(res, std::string(state.gzipped), ContentType(format));
    } else {
      Serve(res, std::string(body), ContentType(format));
    }
    self.code_200.Inc();
  } catch (...) {  // std::bad_alloc while encoding: answer, do not let the server turn it into a 500 page
    res.headers.clear();
    res.status = 500;
    Serve(res, kInternalError);
    self.code_500.Inc();
    self.errors->WithLabels("encode").Inc();
  }
}

void MethodNotAllowed(Endpoint& ep, const httplib::Request& req, httplib::Response& res) {
  (void)TakeAcceptEncoding(req);
  res.status = 405;
  res.set_header("Allow", "GET, HEAD");
  Serve(res, kMethodNotAllowed);
  ep.self->requests->WithLabels("405").Inc();
}

}  // namespace

Status MountMetrics(httplib::Server& server, std::shared_ptr<Registry> registry, ExporterOpts opts) {
  if (!registry) return InvalidArgument("MountMetrics: the registry is null");
  if (opts.path.empty() || opts.path.front() != '/') {
    return InvalidArgument("MountMetrics: path \"" + opts.path + "\" does not begin with '/'");
  }
  if (!registry->status().ok()) return registry->status();
  // The process and runtime collectors the registry's options ask for (idempotent per registry).
  if (Status st = RegisterPlatformCollectors(registry); !st.ok()) return st;
  Status status;
  auto self = SelfMetricsFor(registry, status);
  if (!self) return status;

  auto ep = std::make_shared<Endpoint>();
  ep->registry = std::move(registry);
  ep->self = std::move(self);
  ep->opts = std::move(opts);

  const std::string pattern = detail::RegexEscape(ep->opts.path);
  server.Get(pattern, [ep](const httplib::Request& req, httplib::Response& res) { Scrape(*ep, req, res); });
  const auto not_allowed = [ep](const httplib::Request& req, httplib::Response& res) {
    MethodNotAllowed(*ep, req, res);
  };
  server.Post(pattern, not_allowed);
  server.Put(pattern, not_allowed);
  server.Patch(pattern, not_allowed);
  server.Delete(pattern, not_allowed);
  server.Options(pattern, not_allowed);
  return {};
}

void ConfigureServer(httplib::Server& server, int threads) {
  const std::size_t n = threads < 1 ? 1 : static_cast<std::size_t>(threads);
  server.set_tcp_nodelay(true);
  server.new_task_queue = [n] { return new httplib::ThreadPool(n); };
  server.set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
}

// ---------------------------------------------------------------------------------------------------
// Exporter.

struct Exporter::Impl {
  // cpp-httplib keeps the listening socket in a protected member.
  class Server : public httplib::Server {
   public:
    [[nodiscard]] socket_t listening_socket() const { return svr_sock_.load(); }
  };
  Server server;
  std::thread thread;
  std::atomic<bool> listen_returned{false};
  int port = 0;
  std::mutex stop_mu;
  bool stopped = false;
};

Exporter::Exporter(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

Exporter::~Exporter() { Stop(); }

int Exporter::port() const noexcept { return impl_->port; }

void Exporter::Stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  // Closes the listening socket; the listen thread then shuts the worker pool down, which lets every
  // request being handled finish and be written before its thread exits.
  impl_->server.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

std::unique_ptr<Exporter> Exporter::Start(std::shared_ptr<Registry> registry, ServerOpts opts,
                                          Status* error) {
  const auto fail = [error](Status st) -> std::unique_ptr<Exporter> {
    if (error) *error = std::move(st);
    return nullptr;
  };
  if (!registry) return fail(InvalidArgument("Exporter::Start: the registry is null"));
  if (opts.port < 0 || opts.port > 65535) {
    return fail(
        InvalidArgument("Exporter::Start: port " + std::to_string(opts.port) + " is not in [0, 65535]"));
  }
  if (opts.threads < 1) {
    return fail(
        InvalidArgument("Exporter::Start: threads is " + std::to_string(opts.threads) + ", need >= 1"));
  }

  auto impl = std::make_unique<Impl>();
  ConfigureServer(impl->server, opts.threads);
  // An idle keep-alive connection holds a worker until this timeout (cpp-httplib does not close it on
  // stop): 1 s instead of 5 s bounds how long Stop() waits for one. Scrapers reconnect for free.
  impl->server.set_keep_alive_timeout(1);
  IngestOpts ingest = opts.ingest.value_or(IngestOpts{});
  if (opts.client_metrics && ingest.path == opts.exporter.path) {
    return fail(InvalidArgument("Exporter::Start: the ingest path is the metrics path " + ingest.path));
  }
  if (Status st = MountMetrics(impl->server, std::move(registry), std::move(opts.exporter)); !st.ok()) {
    return fail(st);
  }
  if (opts.client_metrics) {
    if (Status st = MountIngest(impl->server, std::move(opts.client_metrics), std::move(ingest)); !st.ok()) {
      return fail(st);
    }
  }

  errno = 0;
  int port = -1;
  if (opts.port == 0) {
    port = impl->server.bind_to_any_port(opts.host);
  } else if (impl->server.bind_to_port(opts.host, opts.port)) {
    port = opts.port;
  }
  const int bind_errno = errno;
  if (port <= 0) {
    std::string message = "Exporter::Start: cannot listen on " + opts.host + ":" + std::to_string(opts.port);
    if (bind_errno != 0) message += ": " + std::generic_category().message(bind_errno);
    return fail(FailedPrecondition(std::move(message)));
  }
  impl->port = port;
  // cpp-httplib listens with a backlog of 5: a burst of new connections (wrk, many scrapers after a
  // restart) overflows it and the clients' SYN retries add a second of latency. Calling listen() again
  // on a listening socket only changes its backlog.
  ::listen(impl->server.listening_socket(), SOMAXCONN);

  Impl* raw = impl.get();
  impl->thread = std::thread([raw] {
    raw->server.listen_after_bind();
    raw->listen_returned.store(true, std::memory_order_release);
  });
  // Return only once the server runs: a Stop() before that would be lost by cpp-httplib.
  while (!raw->server.is_running()) {
    if (raw->listen_returned.load(std::memory_order_acquire)) {
      raw->thread.join();
      return fail(FailedPrecondition("Exporter::Start: the server stopped at once on " + opts.host + ":" +
                                     std::to_string(port)));
    }
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return std::unique_ptr<Exporter>(new Exporter(std::move(impl)));
}

}  // namespace golivekit::observability
