/** The simulator's time: real milliseconds, with HubSpot's documented durations scaled by `timeScale`. */
export interface Clock {
  now(): number;
  /** Scales a documented real-world duration by the time scale (minimum 1 ms). */
  scale(ms: number): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}
