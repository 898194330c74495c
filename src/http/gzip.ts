import { PassThrough, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';

import type { FastifyReply, FastifyRequest } from 'fastify';

import { AppError } from '../lib/errors.js';

/**
 * Route-level `preParsing` hook: inflates `Content-Encoding: gzip` bodies (node's zlib). The
 * route's body limit then applies to the inflated bytes (Fastify counts what this stream yields),
 * so a small compressed body cannot expand without bound; `receivedEncodedLength` lets Fastify
 * still check Content-Length against the bytes on the wire. A corrupt stream is a 400.
 */
export async function gunzipRequestBody(request: FastifyRequest, _reply: FastifyReply, payload: Readable): Promise<Readable> {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase();
  if (!encoding || encoding === 'identity') return payload;
  if (encoding !== 'gzip') throw new AppError(415, 'unsupported_content_encoding', 'Send the body as is or with Content-Encoding: gzip');
  const inflated = new PassThrough() as PassThrough & { receivedEncodedLength: number };
  inflated.receivedEncodedLength = 0;
  const gunzip = createGunzip();
  payload.on('data', (chunk: Buffer) => (inflated.receivedEncodedLength += chunk.length));
  payload.on('error', (error) => inflated.destroy(error));
  gunzip.on('error', () => inflated.destroy(new AppError(400, 'invalid_gzip', 'The body is not a valid gzip stream')));
  payload.pipe(gunzip).pipe(inflated);
  return inflated;
}
