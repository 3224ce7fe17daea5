#pragma once
// Helpers shared by the core test suites.
#include <cstdint>
#include <string>

#include <golivekit/observability.hpp>

namespace glk_obs_test {

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
