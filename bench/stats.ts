/** The value at percentile `p` (0–100) of ascending `sorted`: the element at ⌊p/100 · n⌋; 0 when empty. */
export const percentile = (sorted: readonly number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
