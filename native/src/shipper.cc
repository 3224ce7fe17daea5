// The native shipper (shipper.h): one background thread gathers, encodes and sends; everyone else only
// flips flags under a mutex and waits on condition variables.
//
// Why the buffer is safe to read without the lock: only the shipper thread adds or removes batches (the
// lock protects it from stats() and Flush, which read). So the thread sends `buffer.front()` without
// holding the lock, and a slow server never makes stats() or Flush wait for a request.
//
// Batches are confirmed, dropped or rejected strictly in sequence order (the buffer is a FIFO and
// overflow drops its front), so "every batch up to S is settled" is one number, and a Flush only needs
// to know whether one of *its* batches failed: failures are pushed to the waiters as they happen.
#include "golivekit/observability/shipper.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "http_parse.h"
#include "shipper_hooks.h"

namespace golivekit::observability {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

struct Pending {
  std::string bytes;
  std::uint64_t sequence = 0;
  Clock::time_point made;
};

// The parts of an http(s)://host[:port]/path URL that cpp-httplib's client takes separately.
struct Url {
  std::string scheme_host_port;
  std::string path;  // with the URL's query, if it has one
};

#ifdef CPPHTTPLIB_OPENSSL_SUPPORT
constexpr bool kHasTls = true;
#else
constexpr bool kHasTls = false;
#endif

Status ParseUrl(const std::string& url, Url& out) {
  const std::size_t sep = url.find("://");
  const std::string scheme = sep == std::string::npos ? std::string() : url.substr(0, sep);
  if (scheme != "http" && !(kHasTls && scheme == "https")) {
    return InvalidArgument("Shipper: url \"" + url + "\" is not http://host[:port]/path" +
                           (kHasTls ? " or https://..." : " (this build has no TLS)"));
  }
  const std::size_t path = url.find_first_of("/?", sep + 3);
  out.scheme_host_port = url.substr(0, path);
  out.path = path == std::string::npos ? "/" : url.substr(path);
  if (out.path[0] == '?') out.path.insert(0, 1, '/');  // http://host?x=1
  if (out.scheme_host_port.size() == sep + 3)
    return InvalidArgument("Shipper: url \"" + url + "\" has no host");
  return {};
}

bool Retryable(int status) { return status == 408 || status == 429 || status >= 500; }

// The wait before retry number `attempts` + 1 (docs/shipping.md): full jitter under an exponential
// bound, never sooner than the server's Retry-After, never longer than backoff_max.
milliseconds RetryWait(unsigned attempts, double random, milliseconds retry_after, const ShipperOpts& opts) {
  std::int64_t bound = opts.backoff_initial.count();
  for (unsigned i = 0; i < attempts && bound < opts.backoff_max.count(); ++i) bound *= 2;
  bound = std::min(bound, opts.backoff_max.count());
  const milliseconds jittered(static_cast<std::int64_t>(random * static_cast<double>(bound)));
  return std::max(jittered, std::min(retry_after, opts.backoff_max));
}

// The real surroundings: steady time, condition variables, cpp-httplib, a seeded generator.
void CompleteHooks(detail::ShipperHooks& hooks, httplib::Client& client, const Url& url,
                   const httplib::Headers& headers) {
  if (!hooks.now) hooks.now = [] { return Clock::now(); };
  if (!hooks.wall_now) hooks.wall_now = [] { return std::chrono::system_clock::now(); };
  if (!hooks.wait_until) {
    hooks.wait_until = [](std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                          Clock::time_point until,
                          const std::function<bool()>& ready) { return cv.wait_until(lock, until, ready); };
  }
  if (!hooks.post) {
    hooks.post = [&client, &url, &headers](const std::string& body, milliseconds timeout) {
      client.set_connection_timeout(timeout);
      client.set_read_timeout(timeout);
      client.set_write_timeout(timeout);
      const httplib::Result res = client.Post(url.path, headers, body, std::string(kBatchContentType));
      if (!res) return detail::ShipperResponse{};
      return detail::ShipperResponse{true, res->status, res->get_header_value("Retry-After"), res->body};
    };
  }
  if (!hooks.random) {
    hooks.random = [rng = std::mt19937_64{std::random_device{}()}]() mutable {
      return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    };
  }
}

}  // namespace

struct Shipper::Impl {
  // Set at Start, then read-only.
  std::shared_ptr<Registry> registry;
  ShipperOpts opts;
  Url url;
  httplib::Headers headers;
  ClientId client_id;

  // The shipper thread's own.
  BatchEncoder encoder;
  std::unique_ptr<httplib::Client> client;
  detail::ShipperHooks hooks;
  unsigned attempts = 0;        // failed attempts since the server last answered
  Clock::time_point next_send;  // backoff: no request before this
  Clock::time_point next_tick;

  struct Waiter {  // one Flush call
    std::uint64_t generation = 0;
    std::uint64_t first = 0;   // the first batch it waits for
    std::uint64_t target = 0;  // the last one (once known)
    bool target_known = false;
    bool failed = false;
  };

  mutable std::mutex mu;
  std::condition_variable wake;      // the thread waits on it
  std::condition_variable progress;  // Flush and Stop wait on it
  std::deque<Pending> buffer;        // see the top of this file for who may touch it how
  ShipperStats stats;
  std::uint64_t settled_through = 0;  // every batch with a sequence up to this one is settled
  std::uint64_t flush_requested = 0;  // generation of the last Flush call
  std::list<Waiter*> waiters;
  bool stopping = false;
  Clock::time_point stop_deadline;
  bool exited = false;  // the thread is done (it may still be joining)
  std::mutex stop_mu;   // serializes Stop calls
  bool joined = false;
  std::thread thread;

  Impl(ClientId id, std::size_t max_batch_bytes) : client_id(id), encoder(id, max_batch_bytes) {}

  void Run();
  void Encode(bool final);
  void SendFront(Clock::time_point deadline);
  void StopSendingSkipped(const std::string& answer);  // under mu
  void DropUndelivered();
  // Under mu: the front batch is settled; `failed` if it was dropped or rejected.
  void SettleFront(bool failed);
};

void Shipper::Impl::SettleFront(bool failed) {
  const Pending& p = buffer.front();
  settled_through = p.sequence;
  stats.buffered_bytes -= p.bytes.size();
  if (failed) {
    for (Waiter* w : waiters) {
      if (p.sequence >= w->first && (!w->target_known || p.sequence <= w->target)) w->failed = true;
    }
  }
  buffer.pop_front();
  stats.buffered_batches = buffer.size();
  progress.notify_all();
}

void Shipper::Impl::Encode(bool final) {
  std::uint64_t dropped = 0;
  std::uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    dropped = stats.batches_dropped;
    generation = flush_requested;
  }
  // After reading the generation: a Flush that asked before this point is served by this gather.
  const Snapshot snapshot = registry->Gather();
  std::vector<std::string> batches = encoder.Encode(snapshot, {.final = final, .dropped_batches = dropped});
  const Clock::time_point now = hooks.now();
  std::uint64_t sequence = encoder.next_sequence() - batches.size();

  std::lock_guard<std::mutex> lock(mu);
  for (std::string& bytes : batches) {
    stats.buffered_bytes += bytes.size();
    buffer.push_back(Pending{std::move(bytes), sequence++, now});
    ++stats.batches_encoded;
    // The oldest go first; a single batch larger than the whole buffer is still kept, alone.
    while (stats.buffered_bytes > opts.max_buffer_bytes && buffer.size() > 1) {
      ++stats.batches_dropped;
      SettleFront(/*failed=*/true);
    }
  }
  stats.buffered_batches = buffer.size();
  for (Waiter* w : waiters) {
    if (!w->target_known && w->generation <= generation) {
      w->target = encoder.next_sequence() - 1;
      w->target_known = true;
    }
  }
  progress.notify_all();
}

void Shipper::Impl::SendFront(Clock::time_point deadline) {
  const Pending& p = buffer.front();  // only this thread removes it
  Clock::time_point now = hooks.now();
  if (now - p.made > opts.max_batch_age) {
    std::lock_guard<std::mutex> lock(mu);
    ++stats.batches_dropped;
    SettleFront(/*failed=*/true);
    return;
  }
  const milliseconds limit =
      std::min(opts.request_timeout,
               std::max(milliseconds(1), std::chrono::duration_cast<milliseconds>(deadline - now)));
  const detail::ShipperResponse res = hooks.post(p.bytes, limit);

  now = hooks.now();
  std::lock_guard<std::mutex> lock(mu);
  ++stats.requests_sent;
  if (res.answered && res.status >= 200 && res.status < 300) {
    // A duplicate is delivered too: the server had it (the answer to an earlier attempt was lost).
    if (res.body.find("\"result\":\"duplicate\"") != std::string::npos) {
      ++stats.batches_duplicate;
    } else {
      ++stats.batches_accepted;
      StopSendingSkipped(res.body);
    }
    SettleFront(/*failed=*/false);
    attempts = 0;  // the server answers: the backoff starts over (not when a batch is dropped unsent)
    next_send = now;
    return;
  }
  if (res.answered && !Retryable(res.status)) {
    ++stats.batches_rejected;
    SettleFront(/*failed=*/true);
    attempts = 0;
    next_send = now;
    return;
  }
  ++stats.retries;
  const milliseconds retry_after =
      res.answered ? detail::ParseRetryAfter(res.retry_after, hooks.wall_now()) : milliseconds(0);
  next_send = now + RetryWait(attempts, hooks.random(), retry_after, opts);
  ++attempts;
}

// The families the server left out of an applied batch (they do not match its declarations: deploy
// skew) are not sent again. The encoder is this thread's alone.
void Shipper::Impl::StopSendingSkipped(const std::string& answer) {
  const nlohmann::json body = nlohmann::json::parse(answer, nullptr, /*allow_exceptions=*/false);
  if (!body.is_object() || !body.contains("skipped") || !body["skipped"].is_array()) return;
  for (const nlohmann::json& f : body["skipped"]) {
    if (!f.is_object() || !f.contains("metric") || !f["metric"].is_string()) continue;
    if (encoder.Skip(f["metric"].get<std::string>())) ++stats.skipped_families;
  }
}

// Stop's deadline passed: what is still buffered is lost, and counted so.
void Shipper::Impl::DropUndelivered() {
  std::lock_guard<std::mutex> lock(mu);
  while (!buffer.empty()) {
    ++stats.batches_dropped;
    SettleFront(/*failed=*/true);
  }
}

void Shipper::Impl::Run() {
  next_tick = hooks.now() + opts.interval;
  next_send = hooks.now();
  std::uint64_t served = 0;  // the last flush generation encoded for
  std::unique_lock<std::mutex> lock(mu);
  while (!stopping) {
    const bool flush = flush_requested > served;
    const Clock::time_point now = hooks.now();
    if (flush || now >= next_tick) {
      served = flush_requested;
      lock.unlock();
      try {
        Encode(/*final=*/false);
      } catch (...) {  // std::bad_alloc: try again at the next tick
      }
      next_tick = hooks.now() + opts.interval;
      lock.lock();
      continue;
    }
    if (!buffer.empty() && now >= next_send) {
      lock.unlock();
      try {
        SendFront(Clock::time_point::max());
      } catch (...) {
        next_send = hooks.now() + opts.backoff_initial;
      }
      lock.lock();
      continue;
    }
    const Clock::time_point until = buffer.empty() ? next_tick : std::min(next_tick, next_send);
    hooks.wait_until(lock, wake, until, [&] { return stopping || flush_requested > served; });
  }
  const Clock::time_point deadline = stop_deadline;
  lock.unlock();

  // Stopping: the final batch, then deliver what is buffered while there is time.
  try {
    Encode(/*final=*/true);
  } catch (...) {
  }
  while (true) {
    lock.lock();
    const bool empty = buffer.empty();
    const Clock::time_point now = hooks.now();
    if (empty || now >= deadline) break;
    if (now < next_send) {
      hooks.wait_until(lock, wake, std::min(next_send, deadline), [] { return false; });
      lock.unlock();
      continue;
    }
    lock.unlock();
    try {
      SendFront(deadline);
    } catch (...) {
      lock.lock();
      break;
    }
  }
  lock.unlock();
  DropUndelivered();

  lock.lock();
  for (Waiter* w : waiters) {
    if (!w->target_known || w->target > settled_through) w->failed = true;
  }
  exited = true;
  progress.notify_all();
}

Shipper::Shipper(std::unique_ptr<Impl> impl) noexcept : impl_(std::move(impl)) {}

Shipper::~Shipper() { Stop(); }

const ClientId& Shipper::client_id() const noexcept { return impl_->client_id; }

ShipperStats Shipper::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}

bool Shipper::Flush(milliseconds timeout) {
  Impl& im = *impl_;
  const Clock::time_point deadline = Clock::now() + timeout;
  std::unique_lock<std::mutex> lock(im.mu);
  if (im.stopping || im.exited) return false;
  Impl::Waiter w;
  w.generation = ++im.flush_requested;
  w.first = im.settled_through + 1;
  im.waiters.push_back(&w);
  const auto self = std::prev(im.waiters.end());
  im.wake.notify_all();
  const bool done = im.progress.wait_until(lock, deadline, [&] {
    return w.failed || im.exited || (w.target_known && im.settled_through >= w.target);
  });
  im.waiters.erase(self);
  return done && !w.failed && w.target_known && im.settled_through >= w.target;
}

void Shipper::Stop() {
  Impl& im = *impl_;
  std::lock_guard<std::mutex> stop_lock(im.stop_mu);
  if (im.joined) return;
  {
    std::unique_lock<std::mutex> lock(im.mu);
    im.stopping = true;
    im.stop_deadline = im.hooks.now() + im.opts.stop_timeout;
    im.wake.notify_all();
    // The thread bounds each request by the deadline; a request that was already running when Stop
    // came (with the full request_timeout) is cut at the deadline.
    const Clock::time_point cut = Clock::now() + im.opts.stop_timeout + milliseconds(50);
    if (!im.progress.wait_until(lock, cut, [&] { return im.exited; })) {
      lock.unlock();
      im.client->stop();
    }
  }
  im.thread.join();
  im.joined = true;
}

std::unique_ptr<Shipper> Shipper::Start(std::shared_ptr<Registry> registry, ShipperOpts opts, Status* error) {
  return detail::StartShipperWithHooks(std::move(registry), std::move(opts), {}, error);
}

std::unique_ptr<Shipper> detail::ShipperAccess::Start(std::shared_ptr<Registry> registry, ShipperOpts opts,
                                                      ShipperHooks hooks, Status* error) {
  const auto fail = [error](Status st) -> std::unique_ptr<Shipper> {
    if (error) *error = std::move(st);
    return nullptr;
  };
  if (!registry) return fail(InvalidArgument("Shipper::Start: the registry is null"));
  if (!registry->status().ok()) return fail(registry->status());
  if (opts.interval.count() < 1)
    return fail(InvalidArgument("Shipper::Start: interval must be at least 1 ms"));
  if (opts.max_batch_bytes == 0 || opts.max_buffer_bytes == 0) {
    return fail(InvalidArgument("Shipper::Start: max_batch_bytes and max_buffer_bytes must be > 0"));
  }
  if (opts.backoff_initial.count() < 0 || opts.backoff_max.count() < 0 || opts.request_timeout.count() < 1 ||
      opts.stop_timeout.count() < 0 || opts.max_batch_age.count() < 1) {
    return fail(
        InvalidArgument("Shipper::Start: negative backoff, stop_timeout, or zero request_timeout "
                        "or max_batch_age"));
  }
  Url url;
  if (Status st = ParseUrl(opts.url, url); !st.ok()) return fail(st);

  const ClientId id = NewClientId();
  // Every request names the client in its URL (docs/shipping.md#affinity): a load balancer routes on it,
  // so that retries and the final batch reach the instance that holds this client's state.
  url.path += url.path.find('?') == std::string::npos ? '?' : '&';
  url.path += kClientIdParam;
  url.path += '=';
  url.path += ClientIdHex(id);

  auto impl = std::make_unique<Shipper::Impl>(id, opts.max_batch_bytes);
  impl->client = std::make_unique<httplib::Client>(url.scheme_host_port);
  if (!impl->client->is_valid()) {
    return fail(InvalidArgument("Shipper::Start: cannot make a client for \"" + opts.url + "\""));
  }
  impl->client->set_keep_alive(true);
  impl->client->set_tcp_nodelay(true);
  for (auto& [name, value] : opts.headers) impl->headers.emplace(name, value);
  for (const std::string& name : opts.skip) impl->encoder.Skip(name);
  impl->registry = std::move(registry);
  impl->url = std::move(url);
  impl->opts = std::move(opts);
  impl->hooks = std::move(hooks);
  CompleteHooks(impl->hooks, *impl->client, impl->url, impl->headers);

  Shipper::Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->Run(); });
  return std::unique_ptr<Shipper>(new Shipper(std::move(impl)));
}

std::unique_ptr<Shipper> detail::StartShipperWithHooks(std::shared_ptr<Registry> registry, ShipperOpts opts,
                                                       ShipperHooks hooks, Status* error) {
  return ShipperAccess::Start(std::move(registry), std::move(opts), std::move(hooks), error);
}

}  // namespace golivekit::observability
