/**
 * Errors that cross a boundary (HTTP, CLI) carry a stable machine-readable `code`. Anything else
 * is a bug or an infrastructure failure and is reported as `internal_error` without details.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export const notFound = (message: string): AppError => new AppError(404, 'not_found', message);
export const badRequest = (code: string, message: string, details?: unknown): AppError =>
  new AppError(400, code, message, details);
export const conflict = (code: string, message: string): AppError => new AppError(409, code, message);

/** Normalises whatever a `catch` received into an Error, so logs and causes are uniform. */
export function toError(value: unknown): Error {
  if (value instanceof Error) return value;
  return new Error(typeof value === 'string' ? value : JSON.stringify(value));
}

/** For exhaustive switches over closed unions: the compiler proves this is unreachable. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`Unexpected ${what}: ${String(value)}`);
}
