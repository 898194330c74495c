import type { FastifyInstance, FastifyRequest } from 'fastify';

import { badRequest } from '../lib/errors.js';
import { findDuplicateKey } from '../lib/json-duplicate-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The exact bytes of a JSON body: webhook signatures are computed over these, never over re-serialised JSON. */
    rawBody?: Buffer;
  }
}

/** Decodes and parses a request's JSON body; undefined when the request has none. */
export type JsonBodyReader = (request: FastifyRequest) => Promise<unknown>;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON bodies are read as bytes only (within the body limit) and parsed by the route after it has
 * authenticated the caller, so an unauthenticated request never costs a parse and never learns
 * what the input should look like. Parsing refuses bytes that are not UTF-8 (they used to become
 * U+FFFD silently), refuses a key written twice in one object (JSON.parse would keep the last one
 * silently; see `lib/json-duplicate-keys.ts`) and keeps Fastify's protection against
 * `__proto__`/`constructor` keys. Only
 * `application/json` is accepted: text/plain gets 415, like every other type.
 */
export function installJsonBodies(app: FastifyInstance): JsonBodyReader {
  const parse = app.getDefaultJsonParser('error', 'error');
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    // parseAs 'buffer' always hands us a Buffer; the union type comes from Fastify's overloads.
    request.rawBody = Buffer.isBuffer(body) ? body : Buffer.from(body);
    done(null, undefined);
  });
  return async (request) => {
    const raw = request.rawBody;
    if (raw === undefined) return undefined;
    let text: string;
    try {
      text = strictUtf8.decode(raw);
    } catch {
      throw badRequest('invalid_value', 'The request body is not valid UTF-8');
    }
    const value = await new Promise<unknown>((resolve, reject) => {
      void parse(request, text, (error, parsed) => (error ? reject(error) : resolve(parsed)));
    });
    const duplicate = findDuplicateKey(text, value);
    if (duplicate !== undefined) {
      throw badRequest('duplicate_key', `The key body.${duplicate} is written more than once`, [{ path: `body.${duplicate}`, message: 'must appear once' }]);
    }
    return value;
  };
}
