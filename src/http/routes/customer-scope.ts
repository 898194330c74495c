import { z } from 'zod';

import { numericId } from '../schemas.js';

/** Shared by the routes: input fields of the WARP-side routes under `/customers/{ban}/…`, and output helpers. */

export const banParams = z.object({ ban: numericId('a BAN') });

/** E.164: a plus, a non-zero country digit, 7 to 15 digits in all. */
export const e164 = z.string().regex(/^\+[1-9][0-9]{6,14}$/, 'must be an E.164 number such as +13035551000');

/** A time in a response: ISO 8601 in UTC. */
export const isoTime = z.iso.datetime();

export const iso = (date: Date | null): string | null => date?.toISOString() ?? null;
