/**
 * The simulator's time: HubSpot time in epoch ms (real time plus the offset `/__sim/clock` moves,
 * see sim-clock.ts), with HubSpot's documented durations scaled by `timeScale`.
 */
export interface Clock {
  now(): number;
  /** Scales a documented real-world duration by the time scale (minimum 1 ms). */
  scale(ms: number): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /** Registers a listener for clock jumps (`/__sim/clock` advance or set). */
  onJump(listener: () => void): void;
}
