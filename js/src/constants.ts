// Facts the JS side shares with the C++ core. Kept apart so that their source can change in one place.

/** The package version, as `golivekit_build_info` reports it. */
export const VERSION = "0.1.0";

/** The metric kinds as the wasm exports number them (wasm/kinds.h). */
export const COUNTER = 0;
export const GAUGE = 1;
export const HISTOGRAM = 2;
export type MetricKind = typeof COUNTER | typeof GAUGE | typeof HISTOGRAM;
