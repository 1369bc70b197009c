/** The per-source allowance of refused requests, the source it counts (IPv6 by /64), and TRUST_PROXY. */
import { describe, expect, it } from 'vitest';
import { createFailureLimiter, sourceKey } from '../../src/server/rate-limit.js';
import { parseTrustProxy } from '../../src/server/trust-proxy.js';

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

describe('the source a refusal is counted under', () => {
  it('is an IPv4 address as it is, an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(sourceKey('203.0.113.5')).toBe('203.0.113.5');
    expect(sourceKey('::ffff:203.0.113.5')).toBe('203.0.113.5');
  });

  it('is the /64 prefix of an IPv6 address, however it is written', () => {
    const same = ['2001:db8:1:2::1', '2001:0db8:0001:0002:ffff:ffff:ffff:ffff', '2001:db8:1:2:a:b:c:d%eth0'];
    expect(new Set(same.map(sourceKey))).toEqual(new Set(['2001:db8:1:2::/64']));
    expect(sourceKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('2001:db8::192.0.2.1')).toBe('2001:db8:0:0::/64');
    expect(sourceKey('fe80::1:2:3:4')).toBe('fe80:0:0:0::/64');
  });

  it('leaves anything else unchanged', () => {
    expect(sourceKey('unknown')).toBe('unknown');
  });
});

describe('TRUST_PROXY', () => {
  it('is off when unset, empty, false or 0', () => {
    for (const text of [undefined, '', 'false', '0']) expect(parseTrustProxy(text)).toBe(false);
  });

  it('takes a hop count or a list of addresses, CIDRs and named ranges', () => {
    expect(parseTrustProxy('1')).toBe(1);
    expect(parseTrustProxy('10.0.0.0/8, 2001:db8::/32,192.0.2.7, uniquelocal')).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
      '192.0.2.7',
      'uniquelocal',
    ]);
  });

  it('never trusts everything, and refuses what is not an address', () => {
    for (const text of ['true', '*', '0.0.0.0/0', '::/0', '10.0.0.0/8,0.0.0.0/0']) {
      expect(() => parseTrustProxy(text), text).toThrow(/every client/);
    }
    for (const text of ['proxy.internal', '10.0.0.0/33', '2001:db8::/129', '10.0.0.0/8/1', '99']) {
      expect(() => parseTrustProxy(text), text).toThrow();
    }
  });
});
