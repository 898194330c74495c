import { describe, expect, it } from 'vitest';

import { checkOutgoing, findSensitiveText, findSensitiveValue, luhnValid, OutgoingGuardError } from '../../src/domain/outgoing-guard.js';

describe('outgoing guard', () => {
  it('computes the Luhn checksum', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
  });

  // The security audit's bypasses (M2) and the usual card and key shapes: all must be found.
  it.each([
    ['plain Visa', '4111111111111111', 'card_number'],
    ['spaced', 'paid with 4111 1111 1111 1111 yesterday', 'card_number'],
    ['dashed Mastercard', 'card:5500-0000-0000-0004', 'card_number'],
    ['13-digit Visa', '4222222222222', 'card_number'],
    ['Amex 4-6-5', '3782 822463 10005', 'card_number'],
    ['Mastercard 2-series', '2223003122003222', 'card_number'],
    ['card + CVV', '4111 1111 1111 1111 123', 'card_number'],
    ['card + CVV, unspaced', '4111111111111111 123', 'card_number'],
    ['digits before the card', '12 4111 1111 1111 1111', 'card_number'],
    ['letter glued before', 'x4111111111111111', 'card_number'],
    ['letter glued after', '4111111111111111x', 'card_number'],
    ['inside an identifier', 'trunk_4111111111111111', 'card_number'],
    ['plus before 16 digits (not E.164)', '+4111111111111111', 'card_number'],
    ['dots', '4111.1111.1111.1111', 'card_number'],
    ['slashes', '4111/1111/1111/1111', 'card_number'],
    ['underscores', '4111_1111_1111_1111', 'card_number'],
    ['double spaces', '4111  1111  1111  1111', 'card_number'],
    ['tabs', '4111\t1111\t1111\t1111', 'card_number'],
    ['no-break spaces', '4111\u00a01111\u00a01111\u00a01111', 'card_number'],
    ['en dashes', '4111\u20131111\u20131111\u20131111', 'card_number'],
    ['full-width digits', '\uff14\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11\uff11', 'card_number'],
    ['Arabic-Indic digits', '\u0664\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661\u0661', 'card_number'],
    ['trunk name from the audit', 'Card 4111 1111 1111 1111 123', 'card_number'],
    ['our key', 'key whk_AbCdEfGhIjKlMnOp', 'api_key'],
    ['our key glued to text', 'keywhk_AbCdEfGhIjKlMnOp', 'api_key'],
    ['Stripe-style key', 'xsk_live_51HxYzabcdefgh', 'api_key'],
    ['HubSpot private-app token', 'pat-na1-12345678-abcd-ef01', 'api_key'],
    ['full-width key', '\uff57\uff48\uff4b\uff3f\uff21\uff42\uff23\uff44\uff25\uff46\uff27\uff48\uff29\uff4a', 'api_key'],
  ])('finds %s', (_shape, text, kind) => {
    expect(findSensitiveText(text)).toBe(kind);
  });

  // What legitimately goes to HubSpot, value by value (each property value is scanned on its own):
  // none of it may be refused.
  it.each([
    ['HubSpot ids', ['10001', '12345678901', '33284219532', '987654321012']],
    ['BANs', ['10001', '10002', '99999']],
    ['trunk ids', ['trunk_86ae77776b79f3b3', 'trunk_0123456789abcdef', 'trunk_4093a1b2c3d4e5f6']],
    ['user ids', ['usr_1cc06a03aedb76ce']],
    ['epoch milliseconds', ['1767225600000', '1767225600001', '1767225600002', '1767225600003', '1767225600004', '1767225600005']],
    ['ISO timestamps', ['2026-01-17T10:00:00.000Z', '2026-01-17 10:00:00', '2026-12-31T23:59:59.999+01:00']],
    ['E.164 numbers', ['+13035551000', '+4930123456789', '+441234567890123', '+49 30 1234 56789', '+1 (303) 555-1000']],
    ['IP address lists', ['203.0.113.10;203.0.113.11;198.51.100.200', '2001:db8::1;2001:db8::2']],
    ['minutes, calls and costs', ['1000000', '2147483647', '100', '12.5']],
    ['a Luhn-invalid 16-digit number', ['4111111111111112']],
    ['a note body', ['SIP trunk trunk_86ae77776b79f3b3 created.\nconcurrent_calls: 100\nmonthly_minutes: 1000000\n[warp-event-42]']],
  ])('lets %s through', (_shape, values) => {
    for (const value of values) expect(findSensitiveText(value), value).toBeNull();
  });

  it('finds the path of a sensitive string or number anywhere in a body', () => {
    expect(findSensitiveValue({ inputs: [{ id: 'trunk_1', properties: { monthly_minutes: 4111111111111111 } }] })).toEqual({ path: 'inputs.0.properties.monthly_minutes', kind: 'card_number' });
    expect(findSensitiveValue({ inputs: [{ id: 'whk_AbCdEfGhIjKlMnOp', idProperty: 'email' }] })).toEqual({ path: 'inputs.0.id', kind: 'api_key' });
    expect(findSensitiveValue({ inputs: [{ id: '10001', properties: { name: 'Acme' } }] })).toBeNull();
  });

  it('scans a long digit run in linear time', () => {
    expect(findSensitiveText('7'.repeat(1 << 20))).toBeNull();
    expect(findSensitiveText('4'.repeat(1 << 20))).toBe('card_number');
    // CPU time, best of three: wall time on a shared machine measures the neighbours, not the scan.
    let bestMs = Infinity;
    for (let run = 0; run < 3; run++) {
      const started = process.cpuUsage();
      findSensitiveText('7'.repeat(1 << 20));
      const used = process.cpuUsage(started);
      bestMs = Math.min(bestMs, (used.user + used.system) / 1000);
    }
    expect(bestMs).toBeLessThan(1_000);
  });

  it('refuses unmapped properties and sensitive values, naming the property but not the value', () => {
    const allowed = new Set(['name', 'trunk_id']);
    expect(() => checkOutgoing({ name: 'ok', trunk_id: 'trunk_1' }, allowed)).not.toThrow();
    expect(() => checkOutgoing({ name: 'ok', warp_api_keys: 'x' }, allowed)).toThrow(/unmapped properties: warp_api_keys/);
    try {
      checkOutgoing({ name: 'card 4111 1111 1111 1111' }, allowed);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(OutgoingGuardError);
      expect((error as Error).message).toContain('property name');
      expect((error as Error).message).not.toContain('4111');
    }
  });
});
