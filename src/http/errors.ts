import type { FastifyError, FastifyInstance } from 'fastify';
import { z } from 'zod';

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

/** Fastify's own error codes for bad input, mapped to our stable codes. */
const FASTIFY_CLIENT_ERRORS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is empty but Content-Type is application/json' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'Send the body as application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', message: 'Content-Length does not match the body' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'The request body is larger than the limit' },
  FST_ERR_BAD_URL: { status: 400, code: 'bad_url', message: 'The URL is malformed' },
};

export function validationError(issues: z.core.$ZodIssue[], where: string): AppError {
  const details = issues.map((issue) => ({ path: [where, ...issue.path.map(String)].join('.'), message: issue.message }));
  return new AppError(400, 'invalid_request', `Invalid ${where}: ${details.map((d) => `${d.path} ${d.message}`).join('; ')}`, details);
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
    const known = fastifyCode ? FASTIFY_CLIENT_ERRORS[fastifyCode] : undefined;
    if (known) return reply.status(known.status).send(errorBody(known.code, known.message));
    const status = (error as FastifyError).statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.status(status).send(errorBody('bad_request', 'The request could not be processed'));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(errorBody('internal_error', 'Internal server error'));
  });

  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(errorBody('route_not_found', `No route for ${request.method} ${request.url.split('?')[0]}`)),
  );
}
