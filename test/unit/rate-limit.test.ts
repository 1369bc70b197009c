/** The per-source allowance of refused requests. */
import { describe, expect, it } from 'vitest';
import { createFailureLimiter } from '../../src/server/rate-limit.js';

describe('failure limiter', () => {
  it('limits a source after its allowance in a window, and lets it try again in the next window', () => {
    let now = 0;
    const limiter = createFailureLimiter({ maxFailures: 3, windowMs: 60_000, now: () => now });
    expect([1, 2, 3].map(() => limiter.recordFailure('a'))).toEqual([false, false, true]);
    expect(limiter.isLimited('a')).toBe(true);
    expect(limiter.isLimited('b')).toBe(false);
    now = 30_000;
    expect(limiter.retryAfterSeconds('a')).toBe(30);
    now = 60_000;
    expect(limiter.isLimited('a')).toBe(false);
  });

  it('forgets the least recently seen sources beyond its bound', () => {
    const limiter = createFailureLimiter({ maxFailures: 1, windowMs: 60_000, maxSources: 2, now: () => 0 });
    limiter.recordFailure('a');
    limiter.recordFailure('b');
    limiter.recordFailure('c');
    expect(limiter.isLimited('a')).toBe(false);
    expect(limiter.isLimited('c')).toBe(true);
  });
});
