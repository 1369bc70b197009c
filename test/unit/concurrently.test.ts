import { describe, expect, it } from 'vitest';
import { forEachConcurrently } from '../../src/lib/concurrently.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('forEachConcurrently', () => {
  it('keeps at most `concurrency` calls in flight, takes items in order and handles each once', async () => {
    let inFlight = 0;
    let most = 0;
    const started: number[] = [];
    await forEachConcurrently(
      Array.from({ length: 20 }, (_, i) => i),
      3,
      async (i) => {
        started.push(i);
        inFlight += 1;
        most = Math.max(most, inFlight);
        for (let t = 0; t < (i % 4) + 1; t++) await tick();
        inFlight -= 1;
      }
    );
    expect(most).toBe(3);
    expect(started).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('reads a shared async listing one item at a time, never ahead of the lanes', async () => {
    let produced = 0;
    const handled: number[] = [];
    async function* listing(): AsyncGenerator<number> {
      for (let i = 0; i < 10; i++) {
        await tick();
        produced += 1;
        yield i;
      }
    }
    await forEachConcurrently(listing(), 2, async (i) => {
      expect(produced - handled.length).toBeLessThanOrEqual(2);
      await tick();
      handled.push(i);
    });
    expect(handled.sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('runs one lane when asked for none, and finishes at once with nothing to do', async () => {
    let inFlight = 0;
    let most = 0;
    await forEachConcurrently([1, 2, 3], 0, async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await tick();
      inFlight -= 1;
    });
    expect(most).toBe(1);
    await expect(forEachConcurrently([], 4, () => Promise.reject(new Error('not called')))).resolves.toBeUndefined();
  });

  it('rejects with the first error a call throws', async () => {
    await expect(
      forEachConcurrently([1, 2, 3], 2, async (i) => {
        await tick();
        if (i === 2) throw new Error('item 2 failed');
      })
    ).rejects.toThrow('item 2 failed');
  });
});
