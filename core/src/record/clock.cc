#include "golivekit/observability/detail/clock.h"

#include <chrono>

namespace golivekit::observability::detail {
namespace {

ClockFn g_test_clock = nullptr;

template <class Clock>
std::int64_t MsOf() noexcept {
  if (g_test_clock != nullptr) return g_test_clock();
#if defined(GLK_OBS_HOST_CLOCK)
  return static_cast<std::int64_t>(glk_obs_host_now());
#else
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch()).count();
#endif
}

}  // namespace

std::int64_t WallMs() noexcept { return MsOf<std::chrono::system_clock>(); }
std::int64_t SteadyMs() noexcept { return MsOf<std::chrono::steady_clock>(); }

void SetClockForTesting(ClockFn now) noexcept { g_test_clock = now; }

}  // namespace golivekit::observability::detail
