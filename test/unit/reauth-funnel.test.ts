/**
 * The re-auth funnel's pure parts: what the account records about a stay in reauth_required (the channels that
 * delivered a prompt, how long until the owner re-authorised), the percentiles, the report's arithmetic over what
 * visibility shows, and the CLI's table.
 */
import { describe, expect, it } from 'vitest';
import { testAccount } from '../helpers/account.js';
import {
  channelSetLabel,
  parseSince,
  percentile,
  summariseFunnel,
  type FunnelAccount,
} from '../../src/accounts/funnel-summary.js';
import { formatSeconds, funnelTable } from '../../src/cli/funnel.js';
import { newAccount } from '../../src/workflows/account-lifecycle/model/carried-state.js';
import { withDefaults } from '../../src/workflows/account-lifecycle/model/settings.js';
import { indexedChannels } from '../../src/workflows/account-lifecycle/model/reauth-episode.js';
import type { AccountEvent, NoticeChannel } from '../../src/workflows/account-lifecycle/model/types.js';

const T0 = Date.UTC(2026, 0, 1, 12);
const MIN = 60_000;
const HOUR = 60 * MIN;
const iso = (ms: number): string => new Date(ms).toISOString();

describe('an account records its stays in reauth_required', () => {
  const restore = () => testAccount(withDefaults({ dedupeWindowMs: HOUR, historyEventsPerRun: 1_000 }));
  let key = 0;
  const ev = (kind: AccountEvent['kind']): AccountEvent => ({
    kind,
    accountId: 'acc1',
    deliveryKey: `k${++key}`,
    receivedAt: iso(T0),
  });
  /** Plans the queued notices on `channels` and finishes each channel: delivered, or failed when listed in `failing`. */
  const deliver = (a: ReturnType<typeof restore>, channels: NoticeChannel[], failing: NoticeChannel[] = []) => {
    for (const notice of a.outbox.unplanned()) {
      a.outbox.plan(notice.id, { channels, skipped: [] }, iso(T0));
      for (const channel of channels) {
        a.notices.finishChannel(notice.id, channel, failing.includes(channel) ? 'HTTP 500' : undefined, T0);
      }
    }
  };

  it('keeps the owner channels that delivered a prompt, and how long the owner took to re-authorise', () => {
    const a = restore();
    a.apply(ev('reauthorisation_required'), T0);
    expect(a.promptChannels()).toEqual([]);
    deliver(a, ['log', 'webhook', 'email'], ['email']);
    expect(a.promptChannels()).toEqual(['webhook']);
    // A reminder that reaches the owner by email too.
    a.notify('account.reauth_reminder', 'owner', T0 + HOUR, { reminder: 1 });
    deliver(a, ['email', 'webhook']);
    expect(a.promptChannels()).toEqual(['email', 'webhook']);
    a.apply(ev('account_reauthorized'), T0 + 90 * MIN + 400);
    expect(a.lastReauth).toEqual({ at: iso(T0 + 90 * MIN + 400), seconds: 5400, channels: ['email', 'webhook'] });
    expect(a.promptChannels()).toEqual(['email', 'webhook']);
    // Carried to the next run.
    const next = testAccount(a.settings, a.snapshot(T0 + 2 * HOUR));
    expect(next.lastReauth?.seconds).toBe(5400);
  });

  it('counts neither the log, nor operator notices, nor a stay that ends other than in reauthorised', () => {
    const a = restore();
    a.apply(ev('reauthorisation_required'), T0);
    deliver(a, ['log']);
    a.escalate('test', T0 + MIN);
    deliver(a, ['operator_webhook', 'webhook']);
    expect(a.promptChannels()).toEqual([]);
    expect(indexedChannels(a.promptChannels()!)).toEqual(['none']);
    a.apply(ev('account_synced'), T0 + HOUR);
    expect(a.lastReauth).toBeNull();
    expect(a.promptChannels()).toBeNull();
    // A new stay starts with no channel; re-authorised without any delivered prompt.
    a.apply(ev('reauthorisation_required'), T0 + 2 * HOUR);
    a.apply(ev('account_reauthorized'), T0 + 2 * HOUR + 30_000);
    expect(a.lastReauth).toEqual({ at: iso(T0 + 2 * HOUR + 30_000), seconds: 30, channels: [] });
  });

  it('reads state carried by a build that did not know the funnel', () => {
    const carried = { ...newAccount(), state: 'reauth_required' as const, since: iso(T0) };
    const a = testAccount(withDefaults({ dedupeWindowMs: HOUR, historyEventsPerRun: 1_000 }), carried);
    expect(a.promptChannels()).toEqual([]);
    a.apply(ev('account_reauthorized'), T0 + MIN);
    expect(a.lastReauth).toMatchObject({ seconds: 60, channels: [] });
  });
});

describe('percentile', () => {
  it('interpolates between the nearest ranks', () => {
    expect(percentile([], 50)).toBeNull();
    expect(percentile([7], 90)).toBe(7);
    expect(percentile([10, 20], 50)).toBe(15);
    expect(percentile([4, 1, 3, 2, 5], 50)).toBe(3);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBeCloseTo(9.1);
    expect(percentile([1, 2, 3], 0)).toBe(1);
    expect(percentile([1, 2, 3], 100)).toBe(3);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});

describe('the funnel report', () => {
  const since = T0;
  const now = T0 + 10 * HOUR;
  const row = (over: Partial<FunnelAccount>): FunnelAccount => ({
    accountId: 'a',
    state: 'synced',
    sinceMs: null,
    institution: 'GTBank',
    reauthorisedAtMs: null,
    reauthSeconds: null,
    channels: null,
    ...over,
  });
  const reauthorised = (startMs: number, seconds: number, channels: string[], over: Partial<FunnelAccount> = {}) =>
    row({
      state: 'reauthorised',
      sinceMs: startMs + seconds * 1000,
      reauthorisedAtMs: startMs + seconds * 1000,
      reauthSeconds: seconds,
      channels,
      ...over,
    });
  const waiting = (startMs: number, channels: string[], over: Partial<FunnelAccount> = {}) =>
    row({ state: 'reauth_required', sinceMs: startMs, channels, ...over });

  it('counts the prompts that began in the window, with median and p90 overall, by channels and institution', () => {
    const report = summariseFunnel(
      [
        reauthorised(T0 + MIN, 60, ['email', 'webhook']),
        reauthorised(T0 + MIN, 120, ['webhook']),
        reauthorised(T0 + MIN, 300, ['webhook'], { institution: 'Kuda' }),
        reauthorised(T0 + MIN, 600, ['none'], { state: 'synced' }),
        // Began before the window: left out.
        reauthorised(T0 - HOUR, 2 * 3600, ['webhook']),
        waiting(T0 + HOUR, ['webhook']),
        waiting(T0 + HOUR, ['none'], { institution: null }),
      ],
      since,
      now
    );
    expect(report.since).toBe(iso(since));
    expect(report.until).toBe(iso(now));
    expect(report.overall).toEqual({
      prompted: 6,
      reauthorised: 4,
      waiting: 2,
      rate: 4 / 6,
      medianSeconds: 210,
      p90Seconds: 510,
    });
    expect(report.byChannels).toEqual([
      {
        channels: 'webhook',
        prompted: 3,
        reauthorised: 2,
        waiting: 1,
        rate: 2 / 3,
        medianSeconds: 210,
        p90Seconds: 282,
      },
      { channels: 'none', prompted: 2, reauthorised: 1, waiting: 1, rate: 0.5, medianSeconds: 600, p90Seconds: 600 },
      {
        channels: 'email+webhook',
        prompted: 1,
        reauthorised: 1,
        waiting: 0,
        rate: 1,
        medianSeconds: 60,
        p90Seconds: 60,
      },
    ]);
    expect(report.byInstitution.map((g) => [g.institution, g.prompted, g.reauthorised, g.waiting])).toEqual([
      ['GTBank', 4, 3, 1],
      ['Kuda', 1, 1, 0],
      ['unknown', 1, 0, 1],
    ]);
  });

  it('counts an account that re-authorised and waits again twice, its re-authorisation under unknown channels', () => {
    const report = summariseFunnel(
      [
        row({
          state: 'reauth_required',
          sinceMs: T0 + 2 * HOUR,
          reauthorisedAtMs: T0 + HOUR,
          reauthSeconds: 1800,
          channels: ['sms'],
        }),
      ],
      since,
      now
    );
    expect(report.overall).toMatchObject({ prompted: 2, reauthorised: 1, waiting: 1, medianSeconds: 1800 });
    expect(report.byChannels.map((g) => [g.channels, g.reauthorised, g.waiting])).toEqual([
      ['sms', 0, 1],
      ['unknown', 1, 0],
    ]);
  });

  it('has no rate and no times when nobody was prompted', () => {
    const report = summariseFunnel([row({})], since, now);
    expect(report.overall).toEqual({
      prompted: 0,
      reauthorised: 0,
      waiting: 0,
      rate: null,
      medianSeconds: null,
      p90Seconds: null,
    });
    expect(report.byChannels).toEqual([]);
  });

  it('labels channel sets the same whatever their order', () => {
    expect(channelSetLabel(['webhook', 'email'])).toBe('email+webhook');
    expect(channelSetLabel(['none'])).toBe('none');
    expect(channelSetLabel([])).toBe('none');
    expect(channelSetLabel(null)).toBe('unknown');
  });

  it('takes since as an ISO time or a duration back from now, and refuses anything else', () => {
    expect(parseSince('7d', now)).toBe(now - 7 * 24 * HOUR);
    expect(parseSince('2026-01-01T12:00:00Z', now)).toBe(T0);
    expect(parseSince('2026-01-01T13:00:00+01:00', now)).toBe(T0);
    expect(() => parseSince('2027-01-01T00:00:00Z', now)).toThrow(/future/);
    expect(() => parseSince('last week', now)).toThrow(/ISO-8601 time .* or a duration/);
    expect(() => parseSince("7d' OR 1=1", now)).toThrow();
  });
});

describe('the CLI table', () => {
  it('shows every group, rates as percentages and times readably', () => {
    const report = {
      ...summariseFunnel(
        [row2('reauthorised', T0 + 90_000, 90, ['email']), row2('reauth_required', T0 + HOUR, null, ['email'])],
        T0,
        T0 + 2 * HOUR
      ),
      waitingPromptedBefore: 3,
    };
    const text = funnelTable(report);
    expect(text).toMatch(/^Re-auth funnel: owners prompted from 2026-01-01T12:00:00.000Z to /);
    expect(text).toMatch(/GROUP\s+PROMPTED\s+REAUTHORISED\s+WAITING\s+RATE\s+MEDIAN\s+P90/);
    expect(text).toMatch(/all\s+2\s+1\s+1\s+50%\s+1m 30s\s+1m 30s/);
    expect(text).toMatch(/channels: email\s+2\s+1\s+1\s+50%/);
    expect(text).toMatch(/institution: Access\s+2/);
    expect(text).toContain('3 more still waiting');
  });

  it('formats seconds', () => {
    expect(formatSeconds(null)).toBe('-');
    expect(formatSeconds(2.25)).toBe('2.3s');
    expect(formatSeconds(303)).toBe('5m 3s');
    expect(formatSeconds(2 * 3600 + 600)).toBe('2h 10m');
    expect(formatSeconds(3 * 86_400 + 4 * 3600 + 59)).toBe('3d 4h');
  });
});

function row2(state: string, sinceMs: number, seconds: number | null, channels: string[]): FunnelAccount {
  return {
    accountId: 'x',
    state,
    sinceMs,
    institution: 'Access',
    reauthorisedAtMs: seconds === null ? null : sinceMs,
    reauthSeconds: seconds,
    channels,
  };
}
