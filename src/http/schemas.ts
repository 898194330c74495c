import { z } from 'zod';

/**
 * Input primitives shared by the route schemas. Strict on purpose: query and path values are
 * strings, and `Number()` would take `0x10`, ` 10` or `1e3`; ids go to bigint columns, so they are
 * bounded to what a bigint holds (18 digits is always below 2^63 − 1).
 */

/** A numeric id (path or query): 1–18 ASCII digits. */
export const numericId = (what: string) => z.string().regex(/^[0-9]{1,18}$/, `must be ${what}: 1 to 18 digits`);

/** A page size in a query string: ASCII digits only, 1…max, `fallback` when absent. */
export const pageLimit = (max: number, fallback: number) =>
  z
    .string()
    .regex(/^[0-9]{1,6}$/, 'must be a whole number')
    .optional()
    .transform((value) => (value === undefined ? fallback : Number(value)))
    .pipe(z.number().int().min(1).max(max));

/** An email address as RFC 5321 bounds it: at most 64 characters before the `@`, 254 in all. */
export const emailAddress = z
  .email()
  .max(254)
  .refine((email) => email.lastIndexOf('@') <= 64, 'the part before @ must be at most 64 characters');

/**
 * Control characters (C0, DEL, C1) and the bidirectional overrides and isolates
 * (U+202A–U+202E, U+2066–U+2069). None belongs in a name, an address or a description, and the
 * bidi ones make text display differently from what it is (`"\u202Egnp.exe"` shows as `exe.png`)
 * in HubSpot, in the dashboard and in a terminal.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const INVISIBLE_CONTROL = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/** One line of text shown to people (here and in HubSpot): trimmed, 1…max characters, no control characters. */
export const plainText = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((text) => !INVISIBLE_CONTROL.test(text), 'must not contain control characters or bidirectional overrides');
