// An operating error that an AWS-style HTTP API returns to its caller: the error type (the name the
// AWS SDKs turn into an exception class), an HTTP status and a message that never carries a secret.
// Each API (KMS JSON 1.1, Amazon MQ REST-JSON) writes these to the wire in exactly one place.

/** An error with an AWS error type, returned to the API caller as-is. */
export class AwsApiError extends Error {
  constructor(
    /** The AWS error type, e.g. `NotFoundException`; the SDKs build the exception class from it. */
    readonly errorType: string,
    message: string,
    /** HTTP status; 400 for client errors, 5xx only for faults the client may retry. */
    readonly httpStatus = 400,
    /** Amazon MQ's `errorAttribute`: the request field at fault, where there is one. */
    readonly errorAttribute?: string,
  ) {
    super(message);
    this.name = errorType;
  }
}
