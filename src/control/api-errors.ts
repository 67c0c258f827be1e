// How errors are written on the control-plane endpoint, in one place per protocol: the AWS JSON 1.1
// protocol (KMS, the identity admin API) as {"__type", "message"}, and REST-JSON (Amazon MQ, /v1/)
// as {"message", "errorAttribute"}; both with x-amzn-ErrorType. Also the mapping of SigV4 failures
// to the AWS error types the SDKs and the CLI know.
import { AwsApiError } from '../util/aws-error.ts';
import { SigV4Error, type SigV4ErrorCode } from '../identity/sigv4.ts';

export type WireProtocol = 'awsJson1_1' | 'restJson1';

/** A response ready to write: status, headers beyond the common ones, body bytes. */
export interface WireResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export const CONTENT_TYPE_AWS_JSON = 'application/x-amz-json-1.1';
export const CONTENT_TYPE_JSON = 'application/json';

const SIGV4_ERROR_TYPES: Record<SigV4ErrorCode, string> = {
  MISSING_AUTHENTICATION: 'MissingAuthenticationTokenException',
  INCOMPLETE_SIGNATURE: 'IncompleteSignatureException',
  UNKNOWN_ACCESS_KEY: 'UnrecognizedClientException',
  EXPIRED: 'InvalidSignatureException',
  INVALID_SIGNATURE: 'InvalidSignatureException',
};

/** The AWS error for a failed SigV4 check: 400 on the JSON protocol (as KMS), 403 on REST-JSON (as API Gateway fronted services). */
export function sigV4ErrorToAws(error: SigV4Error, protocol: WireProtocol): AwsApiError {
  return new AwsApiError(SIGV4_ERROR_TYPES[error.code], error.message, protocol === 'restJson1' ? 403 : 400);
}

/** Writes an AwsApiError in the protocol's shape. */
export function errorResponse(error: AwsApiError, protocol: WireProtocol): WireResponse {
  const body =
    protocol === 'awsJson1_1'
      ? { __type: error.errorType, message: error.message }
      : { message: error.message, ...(error.errorAttribute !== undefined ? { errorAttribute: error.errorAttribute } : {}) };
  return {
    status: error.httpStatus,
    headers: {
      'content-type': protocol === 'awsJson1_1' ? CONTENT_TYPE_AWS_JSON : CONTENT_TYPE_JSON,
      'x-amzn-errortype': error.errorType,
    },
    body: Buffer.from(JSON.stringify(body), 'utf8'),
  };
}

/** The uniform answer to an unexpected failure: no internal detail on the wire. */
export function internalError(protocol: WireProtocol): AwsApiError {
  return protocol === 'awsJson1_1'
    ? new AwsApiError('KMSInternalException', 'An internal error occurred. Try again later.', 500)
    : new AwsApiError('InternalServerErrorException', 'An internal error occurred. Try again later.', 500);
}

export function jsonResponse(status: number, value: unknown, contentType: string): WireResponse {
  return { status, headers: { 'content-type': contentType }, body: Buffer.from(JSON.stringify(value), 'utf8') };
}
