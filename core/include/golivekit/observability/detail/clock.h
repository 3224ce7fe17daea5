#pragma once
// The clocks of series lifetimes and created timestamps, and the hook that tests replace them with. Not
// part of the public API.
//
// Natively both are std::chrono's. A build that defines GLK_OBS_HOST_CLOCK (the npm module:
// wasm/CMakeLists.txt) imports glk_obs_host_now from its host instead, Date.now() from
// js/src/wasm-instance.ts: std::chrono there would import emcc's JS runtime functions, which the module
// ships without.
#include <cstdint>

#if defined(GLK_OBS_HOST_CLOCK)
/// Milliseconds since the Unix epoch (may have a fraction).
extern "C" double glk_obs_host_now();
#endif

namespace golivekit::observability::detail {

/// Milliseconds since the Unix epoch: when a series was created.
std::int64_t WallMs() noexcept;
/// Milliseconds of a clock that never goes back (from an arbitrary origin): series lifetimes.
std::int64_t SteadyMs() noexcept;

using ClockFn = std::int64_t (*)() noexcept;
/// Replaces both clocks with `now` (null: the real ones again), for tests of lifetimes and created
/// timestamps. Not synchronized with updates or gathers: set it while nothing else runs.
void SetClockForTesting(ClockFn now) noexcept;

}  // namespace golivekit::observability::detail
