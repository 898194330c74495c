import { describe, expect, it } from 'vitest';

import { fieldOwner, mayWrite } from '../../src/domain/ownership.js';

describe('field ownership (docs/product-rules.md)', () => {
  it('gives company master data to HubSpot and technical facts to WARP', () => {
    expect(fieldOwner('company', 'warp_credit_limit')).toBe('hubspot');
    expect(fieldOwner('company', 'warp_ban')).toBe('warp');
    expect(mayWrite('company', 'warp_status', 'hubspot')).toBe(false);
    expect(mayWrite('company', 'warp_status', 'warp')).toBe(true);
  });

  it('gives every trunk field to WARP and ignores unknown properties', () => {
    expect(mayWrite('trunk', 'concurrent_calls', 'hubspot')).toBe(false);
    expect(fieldOwner('contact', 'favourite_colour')).toBeUndefined();
  });

  it('lets support agents own ticket fields except the technical ones WARP set', () => {
    expect(fieldOwner('ticket', 'hs_ticket_priority')).toBe('hubspot');
    expect(fieldOwner('ticket', 'warp_severity')).toBe('warp');
  });
});
