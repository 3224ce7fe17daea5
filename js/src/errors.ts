// The one error class of the package, and the two ways the JS side makes one.
import type { ObservabilityErrorCode } from "./types.js";

/** An error the C++ core reported, a misuse the JS side caught first, or a batch the server refused. */
export class ObservabilityError extends Error {
  declare readonly code: ObservabilityErrorCode;
  constructor(code: ObservabilityErrorCode, message: string) {
    super(message);
    this.code = code; // declared (metrics.ts says why), assigned before `name` as when it was defined
    this.name = "ObservabilityError";
  }
}

/** The error in a status text of the core, "CODE: message" (Status::ToString). */
export function statusError(text: string): ObservabilityError {
  const colon = text.indexOf(": ");
  if (colon <= 0) return new ObservabilityError("UNKNOWN", text);
  // The core writes only the names of StatusCodeName, which ObservabilityErrorCode lists.
  return new ObservabilityError(text.slice(0, colon) as ObservabilityErrorCode, text.slice(colon + 2));
}

/** A call on something whose wasm memory was freed by dispose(). */
export function disposedError(what: string): ObservabilityError {
  return new ObservabilityError("FAILED_PRECONDITION", `${what} was disposed`);
}
