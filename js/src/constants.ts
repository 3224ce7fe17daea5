// Facts the JS side shares with the C++ core. Written once, in C++: the wasm build generates
// ./generated/constants.ts from it (wasm/js_constants.cc names each source); this module re-exports them.
import { COUNTER, GAUGE, HISTOGRAM } from "./generated/constants.js";

export {
  BATCH_CONTENT_TYPE,
  CLIENT_ID_PARAM,
  COUNTER,
  GAUGE,
  HISTOGRAM,
  MAX_BATCH_BYTES,
  METRIC_ADAPTER,
  NATIVE_MAX_BUCKETS,
  NATIVE_ZERO_THRESHOLD,
  REGISTRY_ADAPTER,
  STAMP_WORDS_BACK,
  VERSION,
} from "./generated/constants.js";
export type MetricKind = typeof COUNTER | typeof GAUGE | typeof HISTOGRAM;
