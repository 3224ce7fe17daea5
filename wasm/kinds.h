#pragma once
// Metric kinds as numbers, shared by bindings.cc, hot_paths.cc and js/src/constants.ts (COUNTER, …,
// generated from here by js_constants.cc). A kind also names a series handle of that kind when JS frees
// one (glk_free); the two adapters follow the kinds.
namespace golivekit::observability::wasm {
enum Kind : int { kCounter = 0, kGauge = 1, kHistogram = 2, kMetricAdapter = 3, kRegistryAdapter = 4 };
}  // namespace golivekit::observability::wasm
