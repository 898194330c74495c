/**
 * Runs usage ingest statements of one kind at most `maxInFlight` at a time, and merges the
 * requests that arrive meanwhile into the next statement (docs/usage.md "Throughput").
 *
 * Why: every request moves the same hot roll-up rows (the current trunk-hours, every customer's
 * day and month), locked from the first roll-up upsert until commit. Concurrent statements queue
 * on those locks one behind the other, each holding part of them while it waits, and each pays the
 * fixed cost of a statement (planning, the roll-up upserts, a WAL flush at commit) on its own.
 * Merged, several requests pay it once, and the requests not yet sent wait here, holding nothing.
 *
 * While another statement runs, a statement about to start with few records lingers up to
 * `lingerMs` for more: requests come back in bursts (the clients of the statement that just
 * committed send their next ones together), and without it the first of a burst ran alone and the
 * rest waited for the next free slot, so statements alternated between one request and five, and
 * the late ones waited for a whole long statement. Nothing lingers while no statement runs.
 *
 * Each request still commits all or nothing and before its answer: it is part of exactly one
 * statement that committed, or its promise rejects. When a merged statement fails, its requests
 * run again one by one, so one request's failure never takes another one down.
 */

export interface MergeQueueOptions {
  /** Statements running at once (each on its own connection). */
  maxInFlight: number;
  /** A statement takes waiting requests up to this many records (always at least one request). */
  maxMergedSize: number;
  /**
   * How long a statement waits for more requests, while another one runs, before starting with
   * fewer than half of `maxMergedSize` records (default 0: never).
   */
  lingerMs?: number;
}

export interface MergeQueue<I, O> {
  /** Runs `item` (of `size` records) in the next statement; resolves once that statement committed. */
  submit(item: I, size: number): Promise<O>;
  /** Items waiting for a statement. */
  waiting(): number;
}

interface Waiting<I, O> {
  item: I;
  size: number;
  /** performance.now() when it was submitted. */
  submittedMs: number;
  resolve(outcome: O): void;
  reject(error: unknown): void;
}

/** `run` applies several items in one statement and returns one outcome per item, in order. */
export function createMergeQueue<I, O>(run: (items: readonly I[]) => Promise<O[]>, options: MergeQueueOptions): MergeQueue<I, O> {
  const queue: Array<Waiting<I, O>> = [];
  let inFlight = 0;

  async function runAlone(entry: Waiting<I, O>): Promise<void> {
    try {
      entry.resolve((await run([entry.item]))[0]!);
    } catch (error) {
      entry.reject(error);
    }
  }

  async function runMerged(group: Array<Waiting<I, O>>): Promise<void> {
    if (group.length === 1) return runAlone(group[0]!);
    let outcomes: O[];
    try {
      outcomes = await run(group.map((w) => w.item));
    } catch {
      for (const entry of group) await runAlone(entry);
      return;
    }
    group.forEach((entry, i) => entry.resolve(outcomes[i]!));
  }

  const lingerMs = options.lingerMs ?? 0;
  let lingering: NodeJS.Timeout | undefined;

  /** Whether the next statement should wait for more requests; if so, `pump` runs again when it should not. */
  function shouldLinger(): boolean {
    if (inFlight === 0 || lingerMs <= 0) return false;
    // Summed from the queue, not counted beside it: it holds a few requests (one per waiting client).
    if (queue.reduce((records, w) => records + w.size, 0) >= options.maxMergedSize / 2) return false;
    const leftMs = queue[0]!.submittedMs + lingerMs - performance.now();
    if (leftMs <= 0) return false;
    lingering ??= setTimeout(() => {
      lingering = undefined;
      pump();
    }, leftMs);
    return true;
  }

  function pump(): void {
    while (inFlight < options.maxInFlight && queue.length > 0 && !shouldLinger()) {
      const group = [queue.shift()!];
      let size = group[0]!.size;
      while (queue.length > 0 && size + queue[0]!.size <= options.maxMergedSize) {
        size += queue[0]!.size;
        group.push(queue.shift()!);
      }
      inFlight++;
      void runMerged(group).finally(() => {
        inFlight--;
        pump();
      });
    }
  }

  return {
    submit(item, size) {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, size, submittedMs: performance.now(), resolve, reject });
        pump();
      });
    },
    waiting: () => queue.length,
  };
}
