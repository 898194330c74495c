import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { createLogger } from '../../src/lib/logger.js';
import { MAX_TEXT_LENGTH, scrubText, scrubValue } from '../../src/lib/redact.js';

describe('log scrubbing', () => {
  it('removes emails, phone numbers, bearer tokens and API keys from text', () => {
    const text = scrubText('user john.doe+x@acme.co.uk called +1 (303) 555-1234 with Bearer abc.def and whk_abcdefghijklmnop');
    expect(text).toBe('user [email] called [phone] with Bearer [token] and [key]');
  });

  it('catches URL-encoded emails and phone numbers', () => {
    expect(scrubText('/x?e=john%40acme.com&p=%2B13035551234')).toBe('/x?e=[email]&p=[phone]');
  });

  it('catches national phone formats and 7-digit E.164 numbers, and leaves ids and timestamps alone', () => {
    expect(scrubText('(303) 555-1000, 303-555-1000, 303.555.1000 and 303 555 1000')).toBe('[phone], [phone], [phone] and [phone]');
    expect(scrubText('Key (number)=(+1000000) already exists; /numbers/%2B4412345')).toBe('Key (number)=([phone]) already exists; /numbers/[phone]');
    const ids = 'company 10001 deal 12345678901 at 2026-01-17T10:00:00.000Z from 10.0.0.1 count +12';
    expect(scrubText(ids)).toBe(ids);
  });

  it('catches API keys glued to other text', () => {
    expect(scrubText('keywhk_AbCdEfGhIjKl and xsk_live_51HxYzabcdefgh')).toBe('key[key] and x[key]');
  });

  it('replaces sensitive keys wherever they are nested, and leaves ids alone', () => {
    const out = scrubValue({ objectId: '123', properties: { email: 'a@b.co', firstname: 'Ann', warp_ban: '10001' }, headers: { authorization: 'x' } });
    expect(out).toEqual({ objectId: '123', properties: { email: '[redacted]', firstname: '[redacted]', warp_ban: '10001' }, headers: { authorization: '[redacted]' } });
  });

  it('truncates objects nested too deep instead of logging them raw', () => {
    let deep: unknown = { email: 'leak@example.com', firstname: 'Leaky' };
    for (let i = 0; i < 12; i++) deep = { wrap: deep };
    const text = JSON.stringify(scrubValue(deep));
    expect(text).not.toContain('leak@example.com');
    expect(text).not.toContain('Leaky');
    expect(text).toContain('[truncated]');
  });

  it('cuts long text before scrubbing it', () => {
    const out = scrubText('a'.repeat(100_000));
    expect(out.length).toBeLessThan(MAX_TEXT_LENGTH + 20);
    expect(out.endsWith('[truncated]')).toBe(true);
  });

  // The patterns themselves must be linear: this runs them on 1 MB without the length cut. Time is
  // this process's CPU time (best of 5), so other processes on a loaded machine do not count.
  it.each([
    ['letters', 'a'.repeat(1 << 20)],
    ['digits', '1'.repeat(1 << 20)],
    ['dots', '.'.repeat(1 << 20)],
    ['@ runs', '@'.repeat(1 << 20)],
    ['a@ pairs', 'a@'.repeat(1 << 19)],
    ['local parts before one @', `${'a.'.repeat(1 << 19)}@`],
    ['%40 runs', '%40a'.repeat(1 << 18)],
    ['plus runs', '+1 '.repeat(349_525)],
    ['digits and dashes', '303-'.repeat(1 << 18)],
    ['key prefixes', 'whk_'.repeat(1 << 18)],
    ['bearer words', 'Bearer '.repeat(149_796)],
    ['almost-domains', 'x@a.a.a.a.a.a.a.a.a.1 '.repeat(47_663)],
    ['long labels', `a@${'a'.repeat(63)}`.repeat(16_131)],
  ])('scrubs 1 MB of hostile %s in under 50 ms', (_shape, text) => {
    let bestMs = Infinity;
    for (let run = 0; run < 5; run++) {
      const started = process.cpuUsage();
      scrubText(text, Infinity);
      const used = process.cpuUsage(started);
      bestMs = Math.min(bestMs, (used.user + used.system) / 1000);
    }
    expect(bestMs).toBeLessThan(50);
  });
});

describe('request logs', () => {
  it('log the path of a request, never its query string', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      }),
    });
    logger.info({ req: { id: 'r1', method: 'GET', url: '/api/v1/audit?entityId=Ann%20Smith&x=1', ip: '127.0.0.1' } }, 'incoming request');
    const line = JSON.parse(lines[0]!) as { req: Record<string, unknown> };
    expect(line.req).toEqual({ id: 'r1', method: 'GET', path: '/api/v1/audit', ip: '127.0.0.1' });
  });

  it('log database and HubSpot errors by their codes, never the values their texts quote (audit L2)', () => {
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(chunk.toString());
          callback();
        },
      }),
    });
    const database = Object.assign(new Error('invalid input syntax for type integer: "Jane Doe"'), {
      severity: 'ERROR', code: '23505', constraint: 'users_name_key', table: 'users', detail: 'Key (name)=(Jane Doe) already exists.',
    });
    const hubspot = Object.assign(new Error('Property values were not valid: Jane Doe is not a valid option'), {
      kind: 'validation', operation: 'batchUpdate contacts', status: 400, category: 'VALIDATION_ERROR', correlationId: 'c-1',
      details: [{ message: 'Jane Doe is not a valid option', code: 'INVALID_OPTION' }],
    });
    const ours = new Error('outbox worker stopped twice');
    logger.error({ err: database }, 'insert failed');
    logger.error({ err: hubspot }, 'send failed');
    logger.error({ err: ours }, 'bug');
    expect(lines.join('')).not.toContain('Jane');
    const [db, hs, bug] = lines.map((line) => (JSON.parse(line) as { err: Record<string, unknown> }).err);
    expect(db).toMatchObject({ code: '23505', constraint: 'users_name_key', table: 'users', message: 'A database error occurred (SQLSTATE 23505)' });
    expect(db!['stack']).toMatch(/^Error: A database error occurred \(SQLSTATE 23505\)\n {4}at /);
    expect(hs).toMatchObject({ kind: 'validation', status: 400, category: 'VALIDATION_ERROR', correlationId: 'c-1', message: 'HubSpot batchUpdate contacts failed: validation (HTTP 400)' });
    expect(bug).toMatchObject({ message: 'outbox worker stopped twice' });
  });
});
