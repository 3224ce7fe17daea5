#pragma once
// Metric kinds as numbers, shared by bindings.cc, hot_paths.cc and js/src/api.ts (K_COUNTER, …, which
// js_constants.cc generates from here).
namespace golivekit::observability::wasm {
enum Kind : int { kCounter = 0, kGauge = 1, kHistogram = 2 };
}  // namespace golivekit::observability::wasm
