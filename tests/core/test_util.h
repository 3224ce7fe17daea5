#pragma once
// Helpers shared by the core test suites.
#include <cstdint>
#include <cstdio>
#include <golivekit/observability.hpp>
#include <string>

// Test cases that need what a build lacks are compiled in every build and, where they cannot run,
// report themselves skipped: they print kSkipMarker, which tests/CMakeLists.txt gives CTest as the
// tests' SKIP_REGULAR_EXPRESSION, so a run lists them as "Skipped" instead of leaving them out.
// The WebAssembly build has no threads (GLK_OBS_NO_THREADS) and its core is built without exceptions.
#define GLK_OBS_SKIP_IF(condition, reason)                         \
  do {                                                             \
    if (condition) {                                               \
      std::printf("%s %s\n", ::glk_obs_test::kSkipMarker, reason); \
      return;                                                      \
    }                                                              \
  } while (0)
#define GLK_OBS_SKIP_WITHOUT_THREADS() \
  GLK_OBS_SKIP_IF(!::glk_obs_test::kHasThreads, "needs threads, which this build has none of")
#define GLK_OBS_SKIP_WITHOUT_CORE_EXCEPTIONS() \
  GLK_OBS_SKIP_IF(!::glk_obs_test::kCoreHasExceptions, "needs a core built with exceptions")

namespace glk_obs_test {

inline constexpr const char* kSkipMarker = "GLK_OBS_SKIPPED:";
#ifdef GLK_OBS_NO_THREADS
inline constexpr bool kHasThreads = false;
#else
inline constexpr bool kHasThreads = true;
#endif
#ifdef __EMSCRIPTEN__
inline constexpr bool kCoreHasExceptions = false;  // wasm/: the core is built with -fno-exceptions
#else
inline constexpr bool kCoreHasExceptions = true;
#endif

// The family named `name` in a snapshot, or null.
inline const golivekit::observability::FamilySnapshot* FindFamily(const golivekit::observability::Snapshot& s,
                                                                  const std::string& name) {
  for (const auto& f : s.families) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

// SplitMix64: a small, fixed-seed pseudo-random source for property tests.
inline std::uint64_t SplitMix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace glk_obs_test
