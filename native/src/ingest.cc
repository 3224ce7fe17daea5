// The client-metrics ingest endpoint on cpp-httplib (ingest.h).
//
// What cpp-httplib 0.11.4 does that shapes this file (checked against the library, and by
// tests/native/ingest_test.cc):
// - POST is routed through the ContentReader overload, so the body is read only when and as far as we
//   ask: the size cap holds for any Content-Length, a chunked body, or a gzip'd one (the reader hands
//   us decompressed bytes), without touching the server-wide payload_max_length.
// - A body the handler leaves unread stays in the connection and is parsed as the next request(s) (a
//   desync: behind a proxy that reuses connections, someone else's request). So a request refused
//   before its body is read has the body drained (it is small: the cap bounds it), or, when that fails
//   or would pass the cap, the connection must be closed after the response. A handler's
//   `Connection: close` header does not do that (the server only adds Keep-Alive and reads on); what
//   does is a response written by a chunked content provider that returns false once it has written
//   the whole body and the last chunk: the response on the wire is complete, and the server then drops
//   the connection as if writing had failed (CloseAfterResponse).
// - Handler patterns are std::regex: the path is escaped.
#include "golivekit/observability/ingest.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <list>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "golivekit/observability/client_batch.h"
#include "golivekit/observability/detail/token_bucket.h"
#include "http_parse.h"
#include "http_util.h"

namespace golivekit::observability {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::string_view kJson = "application/json";
constexpr std::string_view kAllow = "POST, OPTIONS";

using detail::ConstantTimeEquals;
using detail::EqualsIgnoreCase;
using detail::RetryAfterSeconds;
using detail::ValidOrigin;

// ---------------------------------------------------------------------------------------------------
// Per-address token buckets, in a table of bounded size: the least recently seen address is forgotten
// first. A forgotten address comes back with a full bucket, which only an address that has been idle
// while `max` others were seen gets; an attacker spraying addresses to evict buckets owns those
// addresses anyway.

class AddressLimiter {
 public:
  AddressLimiter(double rate, double burst, std::size_t max) : rate_(rate), burst_(burst), max_(max) {}

  // nullopt: allowed (a token was taken); else how long until the next token.
  std::optional<std::chrono::milliseconds> Take(const std::string& address, Clock::time_point now) {
    if (rate_ <= 0) return std::nullopt;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = index_.find(address);
    if (it == index_.end()) {
      if (lru_.size() >= max_) {
        index_.erase(lru_.back().address);
        lru_.pop_back();
      }
      lru_.push_front(Bucket{address, detail::TokenBucket::Full(burst_, now)});
      it = index_.emplace(address, lru_.begin()).first;
    } else if (it->second != lru_.begin()) {
      lru_.splice(lru_.begin(), lru_, it->second);
    }
    detail::TokenBucket& b = it->second->bucket;
    b.Refill(now, rate_, burst_);
    if (const auto wait = b.Wait(rate_); wait.count() > 0) return wait;
    b.Take();
    return std::nullopt;
  }

 private:
  struct Bucket {
    std::string address;
    detail::TokenBucket bucket;
  };
  const double rate_;
  const double burst_;
  const std::size_t max_;
  std::mutex mu_;
  std::list<Bucket> lru_;  // most recently seen first
  std::unordered_map<std::string, std::list<Bucket>::iterator> index_;
};

// ---------------------------------------------------------------------------------------------------
// The endpoint.

// One set of options, checked, with what they imply; immutable once made. An Update makes another, and
// requests in flight keep the one they began with.
struct Endpoint {
  std::shared_ptr<ClientMetrics> client;
  IngestOpts opts;
  bool any_origin = false;
  std::string allow_headers;  // the preflight's Access-Control-Allow-Headers
  // Shared with the next Endpoint when an Update keeps the rate limit's options: buckets carry over.
  std::shared_ptr<AddressLimiter> limiter;
};

enum class BodyRead {
  kOk,
  kTooLarge,    // declared or grew past the cap
  kBroken,      // the reader failed: bad Content-Length, bad chunk, corrupt gzip, connection lost
  kTimedOut,    // still arriving at the deadline (a body trickled byte by byte)
  kIncomplete,  // the connection ended before the Content-Length arrived (an identity body)
};

struct Body {
  BodyRead result = BodyRead::kOk;
  std::size_t bytes = 0;     // read (or declared, for a Content-Length past the cap)
  std::size_t declared = 0;  // the Content-Length, if any
};

// Why cpp-httplib's reader failed when our callback did not stop it. With a Content-Length and no
// content coding, the only cause left is the connection ending early: that is no batch at all, and not
// the client's malformed one. A chunked or gzip'd body cut short cannot be told apart from a corrupt
// one (cpp-httplib 0.11.4 says only "false"), so those stay kBroken.
BodyRead ReaderFailure(const httplib::Request& req, const Body& body) {
  const bool identity_with_length =
      !req.has_header("Transfer-Encoding") && !req.has_header("Content-Encoding");
  return identity_with_length && body.bytes < body.declared ? BodyRead::kIncomplete : BodyRead::kBroken;
}

// Reads the body into `out` (or only counts it, if `out` is null), at most `cap` bytes, until
// `deadline`. cpp-httplib calls the reader's callback for every chunk it receives, so a trickle is cut
// at the first byte after the deadline; a body that stops altogether ends at the read timeout.
Body ReadBody(const httplib::Request& req, const httplib::ContentReader& reader, std::size_t cap,
              std::string* out, Clock::time_point deadline) {
  Body body;
  // As cpp-httplib reads it: chunked only for exactly "chunked"; another transfer coding has no
  // length we could check before reading, so it is refused.
  if (req.has_header("Transfer-Encoding")) {
    if (!EqualsIgnoreCase(detail::TrimSpaces(req.get_header_value("Transfer-Encoding")), "chunked")) {
      body.result = BodyRead::kBroken;
      return body;
    }
  } else {
    if (!req.has_header("Content-Length")) return body;  // HTTP/1.1: no length, no body
    const std::optional<std::uint64_t> length =
        detail::ParseContentLength(req.get_header_value("Content-Length"));
    if (!length) {
      body.result = BodyRead::kBroken;
      return body;
    }
    const std::uint64_t declared = *length;
    if (declared > cap) {
      body.result = BodyRead::kTooLarge;
      body.bytes = static_cast<std::size_t>(std::min<std::uint64_t>(declared, SIZE_MAX));
      return body;
    }
    body.declared = static_cast<std::size_t>(declared);
    if (declared == 0) return body;
    if (out) out->reserve(static_cast<std::size_t>(declared));
  }
  bool too_large = false;
  bool timed_out = false;
  const bool ok = reader([&](const char* data, std::size_t n) {
    if (Clock::now() > deadline) {
      timed_out = true;
      return false;
    }
    if (n > cap - body.bytes) {
      too_large = true;
      return false;
    }
    body.bytes += n;
    if (out) out->append(data, n);
    return true;
  });
  if (!ok) {
    body.result = too_large   ? BodyRead::kTooLarge
                  : timed_out ? BodyRead::kTimedOut
                              : ReaderFailure(req, body);
  }
  return body;
}

void SetJson(httplib::Response& res, int status, std::string body) {
  res.status = status;
  res.set_content(std::move(body), std::string(kJson));
}

// Messages may quote what a client sent (a label value that is not UTF-8, say): such bytes become
// U+FFFD, so the body is always valid JSON.
void SetError(httplib::Response& res, int status, std::string_view error, std::string_view message) {
  const nlohmann::json body = {{"error", error}, {"message", message}};
  SetJson(res, status, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

// Makes the server close the connection once this (complete) response is written: see the top of this
// file. The body is sent chunked.
void CloseAfterResponse(httplib::Response& res) {
  res.set_header("Connection", "close");
  auto body = std::make_shared<const std::string>(std::move(res.body));
  res.body.clear();
  std::string content_type = res.get_header_value("Content-Type");
  res.headers.erase("Content-Type");
  res.set_chunked_content_provider(std::move(content_type), [body](std::size_t, httplib::DataSink& sink) {
    if (!body->empty()) sink.write(body->data(), body->size());
    sink.done();
    return false;  // all written: "fails" only to end the connection
  });
}

// CORS response headers for an allowed origin.
void SetCors(httplib::Response& res, const std::string& origin) {
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Access-Control-Expose-Headers", "Retry-After");
  res.set_header("Vary", "Origin");
}

bool OriginAllowed(const Endpoint& ep, const std::string& origin) {
  if (ep.any_origin) return true;
  for (const std::string& allowed : ep.opts.allowed_origins) {
    if (allowed == origin) return true;
  }
  return false;
}

std::string RemoteAddress(const Endpoint& ep, const httplib::Request& req) {
  if (!ep.opts.trusted_proxy_header.empty() && req.has_header(ep.opts.trusted_proxy_header.c_str())) {
    const std::string value = req.get_header_value(ep.opts.trusted_proxy_header.c_str());
    const std::string_view first = detail::FirstForwardedAddress(value);
    if (!first.empty()) return std::string(first);
  }
  return req.remote_addr;
}

// A refusal before Apply: answered, counted, and the unread body (if any: `reader`) drained, or the
// connection closed.
void Refuse(Endpoint& ep, const httplib::Request& req, httplib::Response& res,
            const httplib::ContentReader* reader, int status, RejectReason reason, std::string_view message) {
  Body drained;
  if (reader)
    drained = ReadBody(req, *reader, ep.opts.max_body_bytes, nullptr, Clock::now() + ep.opts.body_timeout);
  SetError(res, status, RejectReasonName(reason), message);
  if (drained.result != BodyRead::kOk) CloseAfterResponse(res);
  ep.client->CountRejection(reason, std::min(drained.bytes, ep.opts.max_body_bytes));
}

// cpp-httplib 0.11.4 undoes a body's coding only when Content-Encoding is exactly "gzip" or "deflate"
// (or contains "br"), and passes any other value through as if it were identity: "GZIP" would reach
// the decoder compressed, "compress" or "gzip, gzip" would be merged as it stands. So the coding is
// judged here, and the header rewritten to what cpp-httplib reads: removed for identity, exactly
// "gzip" for a single gzip (undone by cpp-httplib as it is read, the cap applying to what it yields).
// Anything else is 415; its body is drained as raw bytes (the header is gone), within the cap.
bool AcceptContentEncoding(Endpoint& ep, const httplib::Request& req, httplib::Response& res,
                           const httplib::ContentReader& reader) {
  const std::string value = req.get_header_value("Content-Encoding");
  // Two Content-Encoding fields are a list of two codings, like "gzip, gzip".
  const detail::ContentCoding coding = req.get_header_value_count("Content-Encoding") > 1
                                           ? detail::ContentCoding::kUnsupported
                                           : detail::ParseContentEncoding(value);
  httplib::Headers& headers = const_cast<httplib::Request&>(req).headers;
  headers.erase("Content-Encoding");
  if (coding == detail::ContentCoding::kGzip) headers.emplace("Content-Encoding", "gzip");
  if (coding != detail::ContentCoding::kUnsupported) return true;
  Refuse(ep, req, res, &reader, 415, RejectReason::kUnsupportedMediaType,
         "Content-Encoding " + value + " is not supported: send identity or a single gzip");
  return false;
}

// Answers a body that was not read whole: one status and reason per way it failed, the bytes that
// arrived counted as received. What is left of the body cannot be told apart from a next request, so
// the connection ends here.
void RefuseUnreadBody(Endpoint& ep, httplib::Response& res, const Body& body) {
  const IngestOpts& opts = ep.opts;
  int status = 400;
  RejectReason reason = RejectReason::kMalformed;
  std::string message = "the request body could not be read";
  std::size_t counted = body.bytes;
  if (body.result == BodyRead::kTooLarge) {
    status = 413;
    reason = RejectReason::kBodyTooLarge;
    message = "the body is larger than " + std::to_string(opts.max_body_bytes) + " bytes";
    counted = std::min(body.bytes, opts.max_body_bytes);  // bytes is what was declared
  } else if (body.result == BodyRead::kIncomplete) {
    // No batch reached the engine: a transport failure like 413, never the client's malformed batch.
    reason = RejectReason::kIncompleteBody;
    message = "the connection ended after " + std::to_string(body.bytes) + " of the " +
              std::to_string(body.declared) + " bytes of Content-Length";
  } else if (body.result == BodyRead::kTimedOut) {
    status = 408;
    reason = RejectReason::kBodyTimeout;
    message = "the body did not arrive within " + std::to_string(opts.body_timeout.count()) + " ms";
  }
  SetError(res, status, RejectReasonName(reason), message);
  ep.client->CountRejection(reason, counted);
  CloseAfterResponse(res);
}

void Post(Endpoint& ep, const httplib::Request& req, httplib::Response& res,
          const httplib::ContentReader& reader, std::optional<std::chrono::seconds> closed) {
  const IngestOpts& opts = ep.opts;
  if (closed) {
    res.set_header("Retry-After", std::to_string(closed->count()));
    if (req.has_header("Origin") && OriginAllowed(ep, req.get_header_value("Origin"))) {
      SetCors(res, req.get_header_value("Origin"));
    }
    Refuse(ep, req, res, &reader, 503, RejectReason::kShuttingDown,
           "this server is shutting down: send the batch again (to another instance)");
    return;
  }
  if (req.has_header("Origin")) {
    const std::string origin = req.get_header_value("Origin");
    if (!OriginAllowed(ep, origin)) {
      Refuse(ep, req, res, &reader, 403, RejectReason::kOriginNotAllowed,
             "origin " + origin + " is not allowed to post metrics here");
      return;
    }
    SetCors(res, origin);
  }

  if (ep.limiter) {
    if (auto wait = ep.limiter->Take(RemoteAddress(ep, req), Clock::now())) {
      res.set_header("Retry-After", RetryAfterSeconds(*wait));
      Refuse(ep, req, res, &reader, 429, RejectReason::kRateLimited,
             "too many requests from this address, retry later");
      return;
    }
  }

  if (!opts.bearer_token.empty()) {
    const std::string header = req.get_header_value("Authorization");
    const std::optional<std::string_view> token = detail::BearerCredentials(header);
    if (!token) {
      res.set_header("WWW-Authenticate", "Bearer");
      Refuse(ep, req, res, &reader, 401, RejectReason::kUnauthorized,
             "this endpoint needs an Authorization: Bearer token");
      return;
    }
    if (!ConstantTimeEquals(*token, opts.bearer_token)) {
      Refuse(ep, req, res, &reader, 403, RejectReason::kForbidden, "the bearer token is not valid here");
      return;
    }
  }

  const std::string content_type = req.get_header_value("Content-Type");
  if (!detail::IsBatchMediaType(content_type)) {
    Refuse(ep, req, res, &reader, 415, RejectReason::kUnsupportedMediaType,
           "Content-Type must be " + std::string(kBatchContentType) +
               (content_type.empty() ? std::string(", not missing") : ", not " + content_type));
    return;
  }

  if (!AcceptContentEncoding(ep, req, res, reader)) return;

  std::string batch;
  const Body body = ReadBody(req, reader, opts.max_body_bytes, &batch, Clock::now() + opts.body_timeout);
  if (body.result != BodyRead::kOk) {
    RefuseUnreadBody(ep, res, body);
    return;
  }

  const ApplyResult result = ep.client->Apply(batch);
  if (result.accepted()) {
    nlohmann::json body = {
        {"result", result.outcome == ApplyResult::Outcome::kApplied ? "applied" : "duplicate"},
        {"sequence", result.sequence}};
    // Families left out (deploy skew): the client stops sending them.
    for (const SkippedFamily& f : result.skipped) {
      body["skipped"].push_back(
          {{"metric", f.metric}, {"reason", SkipReasonName(f.reason)}, {"message", f.message}});
    }
    SetJson(res, 200, body.dump());
    return;
  }
  int status = 400;
  switch (result.reason) {
    case RejectReason::kRateLimited:
      status = 429;
      break;
    case RejectReason::kTooManyClients:
      status = 503;
      break;
    case RejectReason::kStaleSequence:
      status = 409;
      break;
    case RejectReason::kInvalidDeclarations:
      status = 500;  // the server's own configuration, not the client's batch
      break;
    default:
      break;
  }
  if (status == 429 || status == 503) res.set_header("Retry-After", RetryAfterSeconds(result.retry_after));
  SetError(res, status, RejectReasonName(result.reason), result.message);
}

void Options(Endpoint& ep, const httplib::Request& req, httplib::Response& res) {
  if (!req.has_header("Origin")) {  // not a preflight: say what the path supports
    res.status = 204;
    res.set_header("Allow", std::string(kAllow));
    return;
  }
  const std::string origin = req.get_header_value("Origin");
  if (!OriginAllowed(ep, origin)) {
    Refuse(ep, req, res, nullptr, 403, RejectReason::kOriginNotAllowed,
           "origin " + origin + " is not allowed to post metrics here");
    return;
  }
  res.status = 204;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Access-Control-Allow-Methods", std::string(kAllow));
  res.set_header("Access-Control-Allow-Headers", ep.allow_headers);
  res.set_header("Access-Control-Max-Age", "600");
  res.set_header("Vary", "Origin");
}

void MethodNotAllowed(Endpoint& ep, const httplib::Request& req, httplib::Response& res,
                      const httplib::ContentReader* reader) {
  res.set_header("Allow", std::string(kAllow));
  if (req.has_header("Origin") && OriginAllowed(ep, req.get_header_value("Origin"))) {
    SetCors(res, req.get_header_value("Origin"));
  }
  Refuse(ep, req, res, reader, 405, RejectReason::kMethodNotAllowed,
         "method " + req.method + " is not allowed: use POST");
}

// Checks the options and makes the Endpoint they describe; `previous`, if any, gives its limiter when
// the limit's options are unchanged.
Status MakeEndpoint(std::shared_ptr<ClientMetrics> client, IngestOpts opts, const Endpoint* previous,
                    std::shared_ptr<Endpoint>& out) {
  if (!client) return InvalidArgument("MountIngest: client_metrics is null");
  if (!client->status().ok()) return client->status();
  if (Status st = CheckIngestOpts(opts); !st.ok()) return st;

  auto ep = std::make_shared<Endpoint>();
  for (const std::string& origin : opts.allowed_origins) {
    ep->any_origin |= origin == "*";
  }
  ep->allow_headers = "content-type, authorization";
  for (const std::string& header : opts.extra_allowed_headers) ep->allow_headers += ", " + header;
  if (opts.address_rate_per_second > 0) {
    const bool same_limit = previous != nullptr && previous->limiter &&
                            previous->opts.address_rate_per_second == opts.address_rate_per_second &&
                            previous->opts.address_burst == opts.address_burst &&
                            previous->opts.max_tracked_addresses == opts.max_tracked_addresses;
    ep->limiter = same_limit
                      ? previous->limiter
                      : std::make_shared<AddressLimiter>(opts.address_rate_per_second, opts.address_burst,
                                                         opts.max_tracked_addresses);
  }
  ep->client = std::move(client);
  ep->opts = std::move(opts);
  out = std::move(ep);
  return {};
}

}  // namespace

Status CheckIngestOpts(const IngestOpts& opts) {
  if (opts.path.empty() || opts.path.front() != '/') {
    return InvalidArgument("MountIngest: path \"" + opts.path + "\" does not begin with '/'");
  }
  if (opts.max_body_bytes == 0) return InvalidArgument("MountIngest: max_body_bytes is 0");
  if (opts.max_tracked_addresses == 0) return InvalidArgument("MountIngest: max_tracked_addresses is 0");
  if (opts.body_timeout.count() < 1) return InvalidArgument("MountIngest: body_timeout is under 1 ms");
  if (!std::isfinite(opts.address_rate_per_second) || opts.address_rate_per_second < 0 ||
      !std::isfinite(opts.address_burst) || opts.address_burst < 0) {
    return InvalidArgument("MountIngest: address_rate_per_second and address_burst must be finite and >= 0");
  }
  if (opts.address_rate_per_second > 0 && opts.address_burst < 1) {
    return InvalidArgument("MountIngest: address_burst must be at least 1 when there is a rate limit");
  }
  for (const std::string& origin : opts.allowed_origins) {
    if (origin != "*" && !ValidOrigin(origin)) {
      return InvalidArgument("MountIngest: allowed origin \"" + origin +
                             "\" is not \"*\" nor scheme://host[:port] (no path, no trailing '/')");
    }
  }
  for (const std::string& header : opts.extra_allowed_headers) {
    if (header.empty() || header.find_first_of(",\r\n") != std::string::npos) {
      return InvalidArgument("MountIngest: extra allowed header \"" + header + "\" is not a header name");
    }
  }
  return {};
}

// The routes hold this; each request takes the current Endpoint (a shared_ptr copy under a mutex held
// for nothing else) and runs with it to the end.
// POSTs that may still apply are counted, so that Close can wait for them.
struct IngestEndpoint::State {
  mutable std::mutex mu;
  std::shared_ptr<Endpoint> current;
  std::optional<std::chrono::seconds> closed;  // Close()'s Retry-After
  int applying = 0;                            // POSTs admitted before Close that have not finished
  std::condition_variable idle;

  // The options now, for a request that merges nothing (a preflight, a wrong method) or an Update.
  std::shared_ptr<Endpoint> Current() const {
    std::lock_guard lock(mu);
    return current;
  }

  // A POST: admitted (counted until it ends) unless the endpoint is closed.
  class Admission {
   public:
    explicit Admission(State& s) : s_(s) {
      std::lock_guard lock(s.mu);
      ep = s.current;
      closed = s.closed;
      if (!closed) ++s.applying;
    }
    Admission(const Admission&) = delete;
    Admission& operator=(const Admission&) = delete;
    ~Admission() {
      if (closed) return;
      std::lock_guard lock(s_.mu);
      if (--s_.applying == 0) s_.idle.notify_all();
    }
    std::shared_ptr<Endpoint> ep;
    std::optional<std::chrono::seconds> closed;

   private:
    State& s_;
  };
};

IngestEndpoint::IngestEndpoint(std::shared_ptr<State> state) noexcept : state_(std::move(state)) {}
IngestEndpoint::~IngestEndpoint() = default;

Status IngestEndpoint::Update(IngestOpts opts) {
  const std::shared_ptr<Endpoint> now = state_->Current();
  if (opts.path != now->opts.path) {
    return InvalidArgument("IngestEndpoint::Update: the path cannot change (mounted on \"" + now->opts.path +
                           "\", asked for \"" + opts.path + "\")");
  }
  std::shared_ptr<Endpoint> next;
  if (Status st = MakeEndpoint(now->client, std::move(opts), now.get(), next); !st.ok()) return st;
  std::lock_guard lock(state_->mu);
  state_->current = std::move(next);
  return {};
}

void IngestEndpoint::Close(std::chrono::seconds retry_after) {
  std::unique_lock lock(state_->mu);
  state_->closed = std::max(retry_after, std::chrono::seconds(1));
  state_->idle.wait(lock, [this] { return state_->applying == 0; });
}

bool IngestEndpoint::closed() const {
  std::lock_guard lock(state_->mu);
  return state_->closed.has_value();
}

Status MountIngest(httplib::Server& server, std::shared_ptr<ClientMetrics> client_metrics, IngestOpts opts,
                   std::shared_ptr<IngestEndpoint>* endpoint) {
  std::shared_ptr<Endpoint> first;
  if (Status st = MakeEndpoint(std::move(client_metrics), std::move(opts), nullptr, first); !st.ok())
    return st;
  const std::string pattern = detail::RegexEscape(first->opts.path);
  auto state = std::make_shared<IngestEndpoint::State>();
  state->current = std::move(first);

  server.Post(pattern, [state](const httplib::Request& req, httplib::Response& res,
                               const httplib::ContentReader& reader) {
    const IngestEndpoint::State::Admission admitted(*state);
    Post(*admitted.ep, req, res, reader, admitted.closed);
  });
  server.Options(pattern, [state](const httplib::Request& req, httplib::Response& res) {
    Options(*state->Current(), req, res);
  });
  const auto not_allowed_with_body = [state](const httplib::Request& req, httplib::Response& res,
                                             const httplib::ContentReader& reader) {
    MethodNotAllowed(*state->Current(), req, res, &reader);
  };
  server.Put(pattern, not_allowed_with_body);
  server.Patch(pattern, not_allowed_with_body);
  server.Delete(pattern, not_allowed_with_body);
  // GET and HEAD, and a DELETE without a body, which cpp-httplib routes to the plain handlers.
  const auto not_allowed = [state](const httplib::Request& req, httplib::Response& res) {
    MethodNotAllowed(*state->Current(), req, res, nullptr);
  };
  server.Get(pattern, not_allowed);
  server.Delete(pattern, not_allowed);
  if (endpoint != nullptr) *endpoint = std::shared_ptr<IngestEndpoint>(new IngestEndpoint(std::move(state)));
  return {};
}

}  // namespace golivekit::observability
