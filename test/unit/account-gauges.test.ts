/**
 * The account gauges: read from the facts when scraped, at most every maxAgeMs and without making a scrape wait
 * (after the first), the last values kept on failure.
 */
import { describe, expect, it } from 'vitest';
import { createAccountGauges, type AccountFacts } from '../../src/lib/account-gauges.js';

function facts(overrides: Partial<AccountFacts> = {}): AccountFacts & { reads: number } {
  const f = {
    reads: 0,
    count: ({ state, escalated, undelivered }: { state?: string; escalated?: boolean; undelivered?: boolean }) => {
      if (state === 'connected') f.reads += 1;
      return Promise.resolve(state === 'reauth_required' ? 7 : escalated ? 2 : undelivered ? 1 : 0);
    },
    builds: () => Promise.resolve([{ buildId: '1.0.0+abc', status: 'current', accounts: 9 }]),
    lastReconcile: () => Promise.resolve({ completedAt: new Date(1_800_000_000_000), corrected: 3 }),
    ...overrides,
  };
  return f;
}

describe('createAccountGauges', () => {
  it('serves the accounts by state, escalated, undelivered, per build, and the last reconcile run', async () => {
    const text = await createAccountGauges(facts()).metrics();
    expect(text).toContain('mono_reauth_accounts{state="reauth_required"} 7');
    expect(text).toContain('mono_reauth_accounts{state="synced"} 0');
    expect(text).toContain('mono_reauth_accounts_escalated 2');
    expect(text).toContain('mono_reauth_accounts_undelivered 1');
    expect(text).toContain('mono_reauth_build_accounts{build_id="1.0.0+abc",status="current"} 9');
    expect(text).toContain('mono_reauth_reconcile_last_success_timestamp_seconds 1800000000');
    expect(text).toContain('mono_reauth_reconcile_last_corrections 3');
  });

  it('reads Temporal once per maxAgeMs however often it is scraped', async () => {
    let t = 0;
    const f = facts();
    const registry = createAccountGauges(f, 15_000, () => t);
    await registry.metrics();
    await registry.metrics();
    t = 14_999;
    await registry.metrics();
    expect(f.reads).toBe(1);
    t = 15_000;
    await registry.metrics();
    expect(f.reads).toBe(2);
  });

  it('answers a scrape from the last values while a slow read goes on, and shows the new ones next time', async () => {
    let t = 0;
    let release: () => void = () => undefined;
    let slow = false;
    let pending = 7;
    const f = facts({
      count: ({ state }) =>
        slow && state === 'connected'
          ? new Promise((resolve) => (release = () => resolve(0)))
          : Promise.resolve(state === 'reauth_required' ? pending : 0),
    });
    const registry = createAccountGauges(f, 1_000, () => t);
    expect(await registry.metrics()).toContain('mono_reauth_accounts{state="reauth_required"} 7');
    [slow, pending, t] = [true, 8, 2_000];
    const started = Date.now();
    expect(await registry.metrics()).toContain('mono_reauth_accounts{state="reauth_required"} 7');
    expect(Date.now() - started).toBeLessThan(500);
    release();
    await new Promise((r) => setTimeout(r, 10));
    expect(await registry.metrics()).toContain('mono_reauth_accounts{state="reauth_required"} 8');
  });

  it('keeps the last values, and still answers, while Temporal cannot be read', async () => {
    let t = 0;
    let failing = false;
    const base = facts();
    const f = facts({ count: (filter) => (failing ? Promise.reject(new Error('unavailable')) : base.count(filter)) });
    const registry = createAccountGauges(f, 1_000, () => t);
    await registry.metrics();
    failing = true;
    t = 5_000;
    expect(await registry.metrics()).toContain('mono_reauth_accounts{state="reauth_required"} 7');
  });
});
