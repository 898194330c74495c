import { describe, expect, it } from 'vitest';

import { createMergeQueue } from '../../src/usage/merge-queue.js';

/** The merging of waiting requests into shared statements, with a stand-in for the statement. */

function deferred() {
  let release!: () => void;
  const promise = new Promise<void>((resolve) => (release = resolve));
  return { promise, release };
}

/** A queue whose first statement waits for `gate`; `runs` lists each statement's items. */
function gatedQueue<T>(options: { maxMergedSize: number; maxInFlight?: number; lingerMs?: number }, answer: (items: readonly T[]) => T[]) {
  const gate = deferred();
  const runs: T[][] = [];
  const queue = createMergeQueue(
    async (items: readonly T[]) => {
      runs.push([...items]);
      if (runs.length === 1) await gate.promise;
      return answer(items);
    },
    { maxInFlight: 1, ...options },
  );
  return { gate, runs, queue };
}

describe('merge queue', () => {
  it('runs at most maxInFlight statements and merges what waits meanwhile, up to maxMergedSize', async () => {
    const { gate, runs, queue } = gatedQueue<string>({ maxMergedSize: 5 }, (items) => items.map((item) => `done ${item}`));
    const answers = [queue.submit('a', 1), queue.submit('b', 2), queue.submit('c', 2), queue.submit('d', 2)];
    expect(runs).toEqual([['a']]);
    expect(queue.waiting()).toBe(3);
    gate.release();
    expect(await Promise.all(answers)).toEqual(['done a', 'done b', 'done c', 'done d']);
    // b and c fit together (4 records); d would make 6.
    expect(runs).toEqual([['a'], ['b', 'c'], ['d']]);
  });

  it('takes an item larger than maxMergedSize on its own', async () => {
    const runs: number[][] = [];
    const queue = createMergeQueue(async (items: readonly number[]) => (runs.push([...items]), [...items]), { maxInFlight: 1, maxMergedSize: 5 });
    expect(await Promise.all([queue.submit(10, 10), queue.submit(1, 1)])).toEqual([10, 1]);
    expect(runs).toEqual([[10], [1]]);
  });

  it('runs the items of a failed merged statement one by one, so only the failing one fails', async () => {
    const { gate, runs, queue } = gatedQueue<string>({ maxMergedSize: 10 }, (items) => {
      if (items.includes('bad')) throw new Error('bad item');
      return [...items];
    });
    const first = queue.submit('first', 1);
    const answers = [queue.submit('x', 1), queue.submit('bad', 1), queue.submit('y', 1)].map((p) => p.then((v) => v, (e: Error) => e.message));
    gate.release();
    expect(await first).toBe('first');
    expect(await Promise.all(answers)).toEqual(['x', 'bad item', 'y']);
    expect(runs).toEqual([['first'], ['x', 'bad', 'y'], ['x'], ['bad'], ['y']]);
  });

  it('lets a small statement wait up to lingerMs for the rest of a burst while another runs, and never when none runs', async () => {
    const { gate, runs, queue } = gatedQueue<string>({ maxInFlight: 2, maxMergedSize: 10, lingerMs: 40 }, (items) => [...items]);
    const first = queue.submit('first', 1);
    // Nothing runs when 'first' comes: it starts at once. 'a' would start alone in the free slot;
    // it lingers, and 'b' and 'c', arriving within lingerMs, join it.
    expect(runs).toEqual([['first']]);
    const burst = [queue.submit('a', 1)];
    await new Promise((resolve) => setTimeout(resolve, 10));
    burst.push(queue.submit('b', 1), queue.submit('c', 1));
    expect(runs).toEqual([['first']]);
    expect(await Promise.all(burst)).toEqual(['a', 'b', 'c']);
    expect(runs).toEqual([['first'], ['a', 'b', 'c']]);
    gate.release();
    expect(await first).toBe('first');
  });

  it('starts at once, lingering or not, when half of maxMergedSize is waiting', async () => {
    const { gate, runs, queue } = gatedQueue<number>({ maxInFlight: 2, maxMergedSize: 10, lingerMs: 60_000 }, (items) => [...items]);
    const first = queue.submit(0, 1);
    const half = [queue.submit(1, 2), queue.submit(2, 3)];
    expect(await Promise.all(half)).toEqual([1, 2]);
    expect(runs).toEqual([[0], [1, 2]]);
    gate.release();
    await first;
  });
});
