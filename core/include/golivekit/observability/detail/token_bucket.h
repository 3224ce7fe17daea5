#pragma once
// A token bucket: the rate limit of the client-metrics engine (per client) and of the ingest endpoint
// (per address). Not part of the public API. Not thread-safe: its owner locks.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>

namespace golivekit::observability::detail {

struct TokenBucket {
  using Clock = std::chrono::steady_clock;

  double tokens = 0;
  Clock::time_point refilled = {};

  /// A full bucket as of `now`.
  static TokenBucket Full(double burst, Clock::time_point now) { return {burst, now}; }

  /// Adds what `rate` (tokens per second) brought since the last refill, up to `burst`.
  void Refill(Clock::time_point now, double rate, double burst) {
    const double elapsed = std::chrono::duration<double>(now - refilled).count();
    if (elapsed > 0) {
      tokens = std::min(burst, tokens + elapsed * rate);
      refilled = now;
    }
  }

  /// 0 if a token is there (Take may follow), else how long until there is one — at most a day: with a
  /// tiny rate the wait would not fit in 64 bits (and converting it would be undefined).
  [[nodiscard]] std::chrono::milliseconds Wait(double rate) const {
    if (tokens >= 1) return std::chrono::milliseconds(0);
    const double wait_ms = std::ceil((1 - tokens) / rate * 1000);
    constexpr double kMaxWaitMs = 24.0 * 3600 * 1000;
    return std::chrono::milliseconds(static_cast<std::int64_t>(wait_ms < kMaxWaitMs ? wait_ms : kMaxWaitMs));
  }

  void Take() { tokens -= 1; }
};

}  // namespace golivekit::observability::detail
