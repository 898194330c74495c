import { describe, expect, it } from 'vitest';

import { progressLine, runProgress } from '../../src/sync/reconcile/report.js';

const limits = { burstLimit: 100, burstWindowMs: 10_000 };

describe('reconcile progress and ETA', () => {
  it('expects one list page per 100 records of each type (the pages carry the associations), and the time the burst limit needs for the rest', () => {
    const progress = runProgress({ mode: 'full', status: 'running', requests: 10, estimate: { company: 1_000, contact: 2_000, trunk: 50 } }, limits);
    expect(progress).toEqual({ requests: 10, expectedRequests: 31, fraction: 10 / 31, etaMs: 2_100 });
  });

  it('shows a finished run at 100 % with nothing left, whatever the estimate said', () => {
    const progress = runProgress({ mode: 'full', status: 'succeeded', requests: 25, estimate: { company: 1_000, contact: 2_000 } }, limits);
    expect(progress).toMatchObject({ expectedRequests: 25, fraction: 1, etaMs: 0 });
    expect(progressLine(progress)).toContain('100 %');
  });
});
