import { describe, expect, it } from 'vitest';

import { scrubText, scrubValue } from '../../src/lib/redact.js';

describe('log scrubbing', () => {
  it('removes emails, phone numbers, bearer tokens and API keys from text', () => {
    const text = scrubText('user john.doe+x@acme.co.uk called +1 (303) 555-1234 with Bearer abc.def and whk_abcdefghijklmnop');
    expect(text).toBe('user [email] called [phone] with Bearer [token] and [key]');
  });

  it('catches URL-encoded emails and phone numbers', () => {
    expect(scrubText('/x?e=john%40acme.com&p=%2B13035551234')).toBe('/x?e=[email]&p=[phone]');
  });

  it('replaces sensitive keys wherever they are nested, and leaves ids alone', () => {
    const out = scrubValue({ objectId: '123', properties: { email: 'a@b.co', firstname: 'Ann', warp_ban: '10001' }, headers: { authorization: 'x' } });
    expect(out).toEqual({ objectId: '123', properties: { email: '[redacted]', firstname: '[redacted]', warp_ban: '10001' }, headers: { authorization: '[redacted]' } });
  });
});
