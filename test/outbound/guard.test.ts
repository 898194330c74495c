import { describe, expect, it } from 'vitest';

import { checkOutgoing, findSensitiveText, luhnValid, OutgoingGuardError } from '../../src/domain/outgoing-guard.js';

describe('outgoing guard', () => {
  it('finds card numbers (Luhn-valid, 13–19 digits, grouped or not) and API keys', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(findSensitiveText('paid with 4111 1111 1111 1111 yesterday')).toBe('card_number');
    expect(findSensitiveText('card:5500-0000-0000-0004')).toBe('card_number');
    expect(findSensitiveText('4222222222222')).toBe('card_number');
    expect(findSensitiveText('key whk_AbCdEfGhIjKlMnOp')).toBe('api_key');
    expect(findSensitiveText('sk_live_51HxYzabcdefgh')).toBe('api_key');
  });

  it('lets ids, phone numbers and ordinary numbers through', () => {
    // 4111111111111111 is Luhn-valid, but inside an id or after "+" it is not a card.
    expect(findSensitiveText('trunk_4111111111111111')).toBeNull();
    expect(findSensitiveText('+4111111111111111')).toBeNull();
    expect(findSensitiveText('4111111111111112')).toBeNull();
    expect(findSensitiveText('1000000 minutes, 100 calls, 2026-01-17T10:00:00.000Z')).toBeNull();
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
