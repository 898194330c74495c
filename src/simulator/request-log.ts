/** The request log behind `/__sim/requests`: what reached "HubSpot", when, and what it answered. */

/** HubSpot's limits: search requests count toward their own (5 per second), all others toward the burst window. */
export type RequestLimit = 'burst' | 'search';

export interface RequestLogEntry {
  seq: number;
  /** ISO timestamp and epoch ms of arrival. */
  at: string;
  atMs: number;
  method: string;
  /** Path including the query string. */
  path: string;
  /** The limit it counts toward (a rejected or faulted request is logged all the same). */
  limit: RequestLimit;
  status: number;
  requestBytes: number;
  responseBytes: number;
  durationMs: number;
  /** Parsed JSON request body (undefined for bodiless requests). */
  body?: unknown;
  /** Injected fault, if any (`status:429`, `latency`, `timeout`, `drop`). */
  fault?: string;
}

export const REQUEST_LOG_MAX_ENTRIES = 50_000;

export class RequestLog {
  private entries: RequestLogEntry[] = [];
  private seq = 0;

  push(e: Omit<RequestLogEntry, 'seq'>): void {
    this.entries.push({ ...e, seq: ++this.seq });
    if (this.entries.length > REQUEST_LOG_MAX_ENTRIES) this.entries.shift();
  }

  list(filter: { sinceSeq?: number; pathPrefix?: string; method?: string } = {}): RequestLogEntry[] {
    return this.entries.filter((e) => (filter.sinceSeq === undefined || e.seq > filter.sinceSeq)
      && (filter.pathPrefix === undefined || e.path.startsWith(filter.pathPrefix))
      && (filter.method === undefined || e.method === filter.method.toUpperCase()));
  }

  clear(): void {
    this.entries = [];
  }
}
