/**
 * HubSpot's clock as the simulator sees it: real time plus an offset that `/__sim/clock` moves,
 * so tests and demos can jump ahead (daily limits reset, search-index lag passes, webhook retries
 * fall due, `hs_lastmodifieddate` moves) without waiting. Windows and delays are time-scaled;
 * listeners hear every jump so timers waiting on HubSpot time (webhook retries) can fire early.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from './clock.js';

export class SimClock implements Clock {
  private offset = 0;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly timeScale: number) {}

  now(): number {
    return Date.now() + this.offset;
  }

  scale(ms: number): number {
    return Math.max(1, Math.round(ms * this.timeScale));
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleep(ms, undefined, signal ? { signal } : undefined);
  }

  offsetMs(): number {
    return this.offset;
  }

  /** Moves HubSpot time forward by `ms` (never backward: timestamps must not go back). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError('the clock only moves forward');
    this.offset += ms;
    for (const l of this.listeners) l();
  }

  /** Sets HubSpot time to `epochMs` (at or after the current time). */
  set(epochMs: number): void {
    this.advance(epochMs - this.now());
  }

  /** Back to real time (reset only: timestamps already written may then lie in the future). */
  reset(): void {
    this.offset = 0;
  }

  onJump(listener: () => void): void {
    this.listeners.add(listener);
  }
}
