/** An error the C++ core reported, a misuse the JS side caught first, or a batch the server refused. */
export class ObservabilityError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "ObservabilityError";
    this.code = code;
  }
}
