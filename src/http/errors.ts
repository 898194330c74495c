import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';

import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';

import { isDatabaseUnavailable } from '../db/pool.js';
import { AppError } from '../lib/errors.js';

/** The one error body every endpoint returns: `{"error":{"code","message"}}` (+ `details` for 4xx). */
export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** The same body as a schema: what the OpenAPI document references and clients parse errors with. */
export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().describe('Stable, machine-readable'),
    message: z.string().describe('For people; never internals'),
    details: z.unknown().optional().describe('Per-field problems of a 400'),
  }),
});

export const errorBody = (code: string, message: string, details?: unknown): ErrorBody => ({
  error: details === undefined ? { code, message } : { code, message, details },
});

interface KnownError {
  status: number;
  code: string;
  message: string;
}

/** Fastify's own error codes for bad input, mapped to our stable codes. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, KnownError>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The request body is larger than the limit' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', message: 'The URL is malformed' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'A path segment of the URL is too long' },
};

/**
 * Unique constraints whose violation is the caller's input clashing with stored data, with a code
 * that says which; any other unique violation is `already_exists`. Messages name no values.
 */
const UNIQUE_CONSTRAINTS: Readonly<Record<string, Omit<KnownError, 'status'>>> = {
  numbers_number_key: { code: 'number_taken', message: 'This phone number is already in use' },
  api_keys_active_name: { code: 'key_name_taken', message: 'An active API key already has this name' },
};

/**
 * PostgreSQL errors that mean the input cannot be stored (SQLSTATE classes 22 and 23), as 4xx:
 * a unique value taken (409), a value out of range or not storable as text (400). Never the
 * database's own text, which names tables and repeats values.
 */
function databaseClientError(error: unknown): KnownError | undefined {
  const pg = error as { code?: unknown; severity?: unknown; constraint?: unknown };
  if (typeof pg?.severity !== 'string' || typeof pg.code !== 'string') return undefined;
  if (pg.code === '23505') {
    const known = typeof pg.constraint === 'string' ? UNIQUE_CONSTRAINTS[pg.constraint] : undefined;
    return { status: 409, ...(known ?? { code: 'already_exists', message: 'A record with the same unique value already exists' }) };
  }
  if (pg.code === '22021') return { status: 400, code: 'invalid_value', message: 'A text value holds a character that cannot be stored (NUL)' };
  if (pg.code === '22003') return { status: 400, code: 'invalid_value', message: 'A number is out of range' };
  if (pg.code === '22001' || pg.code === '22P02' || pg.code === '23514') return { status: 400, code: 'invalid_value', message: 'A value does not fit its field' };
  return undefined;
}

export function validationError(issues: z.core.$ZodIssue[], where: string): AppError {
  const details = issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message }));
  return new AppError(400, 'invalid_request', `Invalid ${where}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
}

/** Errors Fastify's router raises before any route runs (bad percent-encoding, a path segment over `maxParamLength`). */
export function frameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = FASTIFY_CLIENT_ERRORS[error.code] ?? { status: 400, code: 'bad_request', message: 'The request could not be processed' };
  void reply.status(known.status).send(errorBody(known.code, known.message));
}

/**
 * Errors Node's HTTP parser raises before Fastify sees a request (malformed request line, headers
 * over the limit, a request that did not arrive in time): answered on the socket itself, in the
 * same body format, then the connection is closed.
 */
export function clientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW' ? [431, 'headers_too_large', 'The request headers are larger than the limit']
    : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? [408, 'request_timeout', 'The request did not arrive completely in time']
    : [400, 'bad_request', 'The request is not valid HTTP'];
  const body = JSON.stringify(errorBody(code, message));
  if (socket.writable) {
    socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  }
  socket.destroy();
}

/**
 * Maps every error to the shared body. 4xx say what was wrong; 5xx say only that something
 * failed, and the real error goes to the log (never to the client: no stack traces, no SQL).
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | AppError | Error, request, reply) => {
    if (error instanceof AppError) {
      if (error.statusCode >= 500) request.log.error({ err: error }, 'request failed');
      return reply.status(error.statusCode).send(errorBody(error.code, error.message, error.details));
    }
    const fastifyCode = (error as FastifyError).code;
    const known = (fastifyCode ? FASTIFY_CLIENT_ERRORS[fastifyCode] : undefined) ?? databaseClientError(error);
    if (known) return reply.status(known.status).send(errorBody(known.code, known.message));
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send(errorBody('bad_request', 'The request could not be processed'));
    }
    if (isDatabaseUnavailable(error)) {
      // A PostgreSQL restart or failover: nothing was committed, the client may simply try again.
      request.log.warn({ err: error }, 'database unavailable');
      return reply.status(503).header('retry-after', '5').send(errorBody('database_unavailable', 'The database is unavailable; try again shortly'));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(errorBody('internal_error', 'Internal server error'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('route_not_found', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}

const HTTP_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE'] as const;

/**
 * 405 with `Allow` for a known path asked with a method it does not have (instead of 404). Call
 * before routes are added (it watches them), and call the returned function after the last one.
 */
export function installMethodNotAllowed(app: FastifyInstance): () => void {
  const methodsByUrl = new Map<string, Set<string>>();
  app.addHook('onRoute', (route) => {
    const methods = methodsByUrl.get(route.url) ?? new Set<string>();
    for (const method of [route.method].flat()) methods.add(method);
    // Fastify answers HEAD for every GET route itself.
    if (methods.has('GET')) methods.add('HEAD');
    methodsByUrl.set(route.url, methods);
  });
  return () => {
    for (const [url, methods] of [...methodsByUrl]) {
      const missing = HTTP_METHODS.filter((m) => !methods.has(m));
      if (missing.length === 0) continue;
      const allow = HTTP_METHODS.filter((m) => methods.has(m)).join(', ');
      app.route({
        method: missing,
        url,
        handler: async (request, reply) =>
          reply.status(405).header('allow', allow).send(errorBody('method_not_allowed', `${request.method} is not allowed here; use ${allow}`)),
      });
    }
  };
}
