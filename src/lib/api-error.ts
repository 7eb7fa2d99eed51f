/** @module ApiError: a refusal of Footfall's own API as a value, with Umami's code and status (http/errors.ts turns it into the JSON answer). */

export type ErrorCode = 'bad-request' | 'unauthorized' | 'forbidden' | 'not-found' | 'too-many-requests' | 'payload-too-large' | 'server-error' | 'service-unavailable';

const DEFAULT_MESSAGE: Record<ErrorCode, string> = {
  'bad-request': 'Bad request',
  unauthorized: 'Unauthorized',
  forbidden: 'Forbidden',
  'not-found': 'Not found',
  'too-many-requests': 'Too many requests',
  'payload-too-large': 'Payload too large',
  'server-error': 'Server error',
  'service-unavailable': 'Service unavailable',
};

const STATUS: Record<ErrorCode, number> = {
  'bad-request': 400, unauthorized: 401, forbidden: 403, 'not-found': 404,
  'too-many-requests': 429, 'payload-too-large': 413, 'server-error': 500, 'service-unavailable': 503,
};

/**
 * Thrown (or returned) by handlers and the account rules they call; mapped to a response in one
 * place (http/errors.ts errorResponse, from app.ts onError).
 */
export class ApiError extends Error {
  readonly status: number;
  constructor(
    readonly code: ErrorCode,
    message?: string,
    readonly extra: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message ?? DEFAULT_MESSAGE[code]);
    this.status = STATUS[code];
  }
}
