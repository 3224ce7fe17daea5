#pragma once
// The one function core may take from its embedder instead of compiling it: the shortest round-trip
// digits of a double, for FormatFloat (encode.h). Not part of the public API.
//
// Natively core computes the digits itself ({fmt}), and this hook is neither declared nor called. A
// build that defines GLK_OBS_HOST_SHORTEST_DIGITS (the npm module: wasm/CMakeLists.txt) drops that code
// and imports glk_obs_host_shortest from its host instead: js/src/wasm-instance.ts supplies it from the
// JS engine, whose Number-to-String is shortest round-trip as well (ECMA-262 Number::toString).
//
// Contract of glk_obs_host_shortest(v, out):
// - called only with a finite v that is not an integer of magnitude below 1e6, never with NaN or ±Inf;
// - writes the shortest decimal digits that read back as v (the nearest such string if several),
//   ASCII, optionally '-', with a '.' and/or an exponent `e±d` in any of the usual spellings
//   (`1e+21`, `1.5e-7`, `0.000123`, `123456789`); no terminator;
// - writes at most 25 characters at `out` and returns how many.
#if defined(GLK_OBS_HOST_SHORTEST_DIGITS)
extern "C" int glk_obs_host_shortest(double v, char* out);
#endif
