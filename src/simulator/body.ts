/**
 * Request bodies parsed with zod, answered like HubSpot's JSON binder when they do not fit: a
 * missing required field is 400 `VALIDATION_ERROR` "Cannot build {Model}, some of required
 * attributes are not set [a, b]" (the wording HubSpot's Java binder uses, seen in public issue
 * reports), a field of the wrong type is 400 "Cannot deserialize value …". Never a 404 because a
 * handler looked up `undefined`.
 */
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { validation, type ErrorDetail } from './errors.js';

/** HubSpot ids are strings in the spec; its binder also accepts JSON numbers for them. */
export const idString = z.union([z.string().min(1), z.number().int().nonnegative()]).transform(String);
/** Record property values as the API accepts them (scalars; null clears). */
export const propertyValues = z.record(z.string(), z.unknown());
export const objectIdRef = z.looseObject({ id: idString });
export const associationSpec = z.looseObject({ associationCategory: z.string().optional(), associationTypeId: z.union([z.number().int(), z.string().regex(/^\d+$/)]).transform(Number) });

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

const pathText = (path: readonly PropertyKey[]): string => path.map(String).join('.');

/** Parses `req.body` with `schema`; `model` names the body in the error, as HubSpot does. */
export function parseBody<S extends z.ZodType>(req: FastifyRequest, model: string, schema: S): z.output<S> {
  const raw = req.body;
  if (raw === undefined || raw === null) throw validation('Invalid input JSON on line 1, column 1: No content to map due to end-of-input');
  return parseValue(raw, model, schema);
}

export function parseValue<S extends z.ZodType>(raw: unknown, model: string, schema: S): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const missing: string[] = [];
  const wrong: ErrorDetail[] = [];
  for (const issue of r.error.issues) {
    const at = pathText(issue.path);
    if (issue.path.length > 0 && valueAt(raw, issue.path) === undefined) missing.push(at);
    else wrong.push({ message: `${at || 'body'}: ${issue.message}`, code: 'INVALID_TYPE', in: at || 'body' });
  }
  if (missing.length > 0) {
    const names = [...new Set(missing.map((m) => m.split('.').at(-1) ?? m))].sort();
    throw validation(`Invalid input JSON on line 1, column 1: Cannot build ${model}, some of required attributes are not set [${names.join(', ')}]`,
      missing.map((m) => ({ message: `${m} is required`, code: 'REQUIRED_FIELD', in: m })));
  }
  throw validation(`Invalid input JSON on line 1, column 1: Cannot deserialize value of ${model}: ${wrong.map((w) => w.message).join('; ')}`, wrong);
}
