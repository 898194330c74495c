import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { callSchema, parseCall, plainCall } from '../../src/usage/records.js';

/**
 * `plainCall` is the fast path of call validation; zod's `callSchema` stays the schema of record.
 * On any input, the fast path either declines (undefined) or gives exactly what zod gives.
 */

// Mostly a plausible value (valid or nearly), sometimes one of another type.
const field = <T>(plausible: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 30, arbitrary: plausible }, { weight: 1, arbitrary: fc.constantFrom(undefined, null, '', 0, -1, 1.5, true, [], {}, '12') });
const mostly = <T, U>(valid: fc.Arbitrary<T>, odd: fc.Arbitrary<U>) => fc.oneof({ weight: 20, arbitrary: valid }, { weight: 1, arbitrary: odd });
const time = mostly(
  fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()),
  fc.oneof(
    fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }).map((d) => `${d.toISOString().slice(0, 19)}Z`),
    fc.constantFrom('2026-02-30T00:00:00Z', '2026-11-16T13:05:00.1Z', '2026-11-16T13:05:00+01:00', '2026-11-16 13:05:00Z', '2026-11-16T24:00:00Z', '2026-11-16T13:05:60Z', '+020000-01-01T00:00:00.000Z', ''),
  ),
);
const text = (chars: string, min: number, max: number) => fc.string({ unit: fc.constantFrom(...chars.split('')), minLength: min, maxLength: max });

const record = fc.record(
  {
    callId: field(mostly(text('abcXYZ019_-:./', 1, 20), fc.string({ maxLength: 140 }))),
    trunkId: field(mostly(text('abc019_', 1, 10).map((t) => `trunk_${t}`), fc.string())),
    direction: field(mostly(fc.constantFrom('outbound', 'inbound'), fc.constant('Outbound'))),
    startedAt: field(time),
    answeredAt: field(time),
    endedAt: field(time),
    billableSeconds: field(mostly(fc.integer({ min: 0, max: 100_000 }), fc.constantFrom(-1, 2_147_483_647, 2_147_483_648, -0, 1e21, 0.5))),
    sipCode: field(fc.integer({ min: 95, max: 705 })),
    cost: field(mostly(fc.tuple(text('0123456789', 1, 3), text('0123456789', 0, 11)).map(([a, b]) => (b ? `${a}.${b}` : a)), text('0123456789.', 0, 14))),
    currency: field(mostly(fc.constant('USD'), fc.constantFrom('EUR', 'usd'))),
    version: field(mostly(fc.integer({ min: 1, max: 10 }), fc.constantFrom(0, -1, 2_147_483_647, 2_147_483_648))),
    from: field(mostly(text('0123456789', 6, 15).map((d) => `+${d}`), fc.string())),
    to: field(mostly(text('0123456789', 6, 15).map((d) => `+${d}`), fc.string())),
    extra: fc.string(),
  },
  // Optional fields may be absent; so may a required one, now and then (a missing field).
  { requiredKeys: ['callId', 'trunkId', 'direction', 'startedAt', 'endedAt', 'billableSeconds', 'sipCode', 'cost'] },
);

describe('call validation fast path', () => {
  it('never accepts what zod refuses, and gives zod’s value when it accepts', () => {
    let taken = 0;
    fc.assert(
      fc.property(record, (input) => {
        const fast = plainCall(input);
        if (fast === undefined) return;
        taken++;
        const zod = callSchema.safeParse(input);
        expect(zod.success).toBe(true);
        // toEqual: an absent optional field is undefined in the one, missing in the other.
        expect(fast).toEqual(zod.data);
      }),
      { numRuns: 20_000 },
    );
    // The generator reaches the fast path often enough for the check to mean something.
    expect(taken).toBeGreaterThan(100);
  });

  it('takes the records the switches send, and leaves refusals and their reasons to zod', () => {
    const valid = {
      callId: 'c-1',
      trunkId: 'trunk_a1',
      direction: 'outbound',
      startedAt: '2026-11-16T13:05:00Z',
      answeredAt: '2026-11-16T13:05:04.250Z',
      endedAt: '2026-11-16T13:06:04.250Z',
      billableSeconds: 60,
      sipCode: 200,
      cost: '0.0125',
      from: '+15550000001',
    };
    expect(plainCall(valid)).toEqual(callSchema.parse(valid));
    expect(plainCall({ ...valid, cost: 0.0125 })).toBeUndefined();
    expect(parseCall({ ...valid, cost: 0.0125 })).toMatchObject({ ok: false, errors: [{ code: 'invalid_cost', field: 'cost' }] });
    expect(parseCall({ ...valid, startedAt: '2026-11-16T14:05:00+01:00' })).toMatchObject({ ok: true, value: { startedAtMs: Date.parse('2026-11-16T13:05:00Z') } });
  });
});
