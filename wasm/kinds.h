#pragma once
// Metric kinds as numbers, shared by bindings.cc, hot_paths.cc and js/src/constants.ts (COUNTER, …,
// generated from here by js_constants.cc).
namespace golivekit::observability::wasm {
enum Kind : int { kCounter = 0, kGauge = 1, kHistogram = 2 };
}  // namespace golivekit::observability::wasm
