import { scrubText } from './redact.js';

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

/** What an API client may see of a failure: a stable code and a short message without internals. */
export interface PublicError {
  code: string;
  message: string;
}

const MAX_PUBLIC_MESSAGE = 200;
const INTERNAL_MESSAGE = 'An internal error occurred; the service log has the details';

/**
 * A failure as API clients may see it (sync job status, inbox errors): HubSpot errors by kind and
 * operation (the gateway's operation names carry no record data), database errors by SQLSTATE only
 * (no table, constraint or value), our own coded errors with their scrubbed message; anything else
 * is `internal_error`. The service log has the error's codes and facts (`loggableError`).
 */
export function publicError(value: unknown): PublicError {
  const error = value as { name?: unknown; kind?: unknown; operation?: unknown; status?: unknown; code?: unknown; severity?: unknown; message?: unknown };
  const short = (message: string): PublicError['message'] => scrubText(message, MAX_PUBLIC_MESSAGE);
  if (value instanceof AppError) return { code: value.code, message: short(value.message) };
  if (typeof error?.kind === 'string' && typeof error.operation === 'string') {
    const status = typeof error.status === 'number' && error.status > 0 ? ` (HTTP ${error.status})` : '';
    return { code: `hubspot_${error.kind}`, message: short(`HubSpot ${error.operation} failed: ${error.kind}${status}`) };
  }
  if (typeof error?.severity === 'string' && typeof error.code === 'string' && /^[0-9A-Z]{5}$/.test(error.code)) {
    return { code: 'database_error', message: `A database error occurred (SQLSTATE ${error.code})` };
  }
  if (error?.name === 'OutgoingGuardError' && typeof error.message === 'string') return { code: 'outgoing_guard', message: short(error.message) };
  return { code: 'internal_error', message: INTERNAL_MESSAGE };
}

/**
 * The stored error as clients may see it. Rows written before codes were stored hold raw text,
 * which is never shown: they read as `internal_error`.
 */
export function storedPublicError(code: string | null, message: string | null): PublicError | null {
  if (message === null) return null;
  return code === null ? { code: 'internal_error', message: INTERNAL_MESSAGE } : { code, message };
}

/** Fields in which HubSpot and PostgreSQL quote what was submitted (a row in `detail`, a value in HubSpot's details). */
const QUOTING_FIELDS = new Set(['message', 'stack', 'detail', 'hint', 'where', 'internalQuery', 'details', 'body']);

/**
 * An error as the service log keeps it (`serialized` is pino's form of `error`). HubSpot's and
 * PostgreSQL's texts can quote submitted values, such as a person's name in a validation message
 * or a row in a constraint's `detail`, and no pattern finds a name reliably; so those two kinds
 * are logged by their codes and facts (kind, status, operation, category, correlation id;
 * SQLSTATE, constraint, table, column) with the public message and the stack frames only.
 * Our own errors keep their text (the scrubber still runs over it).
 */
export function loggableError(serialized: Record<string, unknown>, error: unknown): Record<string, unknown> {
  const summary = publicError(error);
  if (summary.code !== 'database_error' && !summary.code.startsWith('hubspot_')) return serialized;
  const kept = Object.fromEntries(Object.entries(serialized).filter(([key]) => !QUOTING_FIELDS.has(key)));
  const stack = typeof serialized['stack'] === 'string' ? serialized['stack'] : '';
  const frames = stack.split('\n').filter((line) => line.startsWith('    at '));
  const type = typeof serialized['type'] === 'string' ? serialized['type'] : 'Error';
  return { ...kept, message: summary.message, stack: [`${type}: ${summary.message}`, ...frames].join('\n') };
}
