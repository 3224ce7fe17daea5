#pragma once
// What the native shipper takes from its surroundings — time, waiting, the network, randomness — as
// replaceable hooks. Start uses the real ones; the shared shipping scenarios
// (tests/fixtures/shipping_scenarios.json) replace them with virtual time and a scripted server, so that
// backoff and Retry-After are checked to the millisecond without sleeping (docs/shipping.md).
// Internal: not installed.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "golivekit/observability/registry.h"
#include "golivekit/observability/shipper.h"
#include "golivekit/observability/status.h"

namespace golivekit::observability::detail {

// One POST's outcome. `answered` false: no response (refused, reset, timeout).
struct ShipperResponse {
  bool answered = false;
  int status = 0;
  std::string retry_after;
  std::string body;
};

struct ShipperHooks {
  using TimePoint = std::chrono::steady_clock::time_point;
  std::function<TimePoint()> now;
  // The wall clock, for Retry-After HTTP-dates.
  std::function<std::chrono::system_clock::time_point()> wall_now;
  // With `lock` held: waits on `cv` until `until` or until `ready()`; returns ready().
  std::function<bool(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, TimePoint until,
                     const std::function<bool()>& ready)>
      wait_until;
  // Sends one batch; gives up after `timeout`.
  std::function<ShipperResponse(const std::string& body, std::chrono::milliseconds timeout)> post;
  // Uniform in [0, 1): the jitter of a backoff.
  std::function<double()> random;
};

// What may build a Shipper besides Start.
struct ShipperAccess {
  static std::unique_ptr<Shipper> Start(std::shared_ptr<Registry> registry, ShipperOpts opts,
                                        ShipperHooks hooks, Status* error);
};

// Shipper::Start with `hooks` in place of the real ones (those left empty stay real).
std::unique_ptr<Shipper> StartShipperWithHooks(std::shared_ptr<Registry> registry, ShipperOpts opts,
                                               ShipperHooks hooks, Status* error = nullptr);

}  // namespace golivekit::observability::detail
