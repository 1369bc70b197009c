/**
 * The re-auth funnel's arithmetic (pure): from what visibility holds about each account, how many owners were
 * prompted in a window, how many re-authorised and how fast, how many still wait; overall, by the set of channels
 * that delivered the prompts and by institution.
 *
 * The window holds the prompts that began at or after `since` (a cohort): an account that re-authorised counts when
 * its stay in reauth_required began in the window, an account still waiting when it began waiting in it. Visibility
 * keeps each account's latest re-authorisation only, so an account prompted twice in the window counts at most once
 * as re-authorised (and once more if it waits again).
 */
import { parseDuration } from '../lib/duration.js';

/** One account as visibility shows it to the funnel. */
export interface FunnelAccount {
  accountId: string;
  state: string | null;
  /** MonoStateSince, ms. */
  sinceMs: number | null;
  institution: string | null;
  /** MonoReauthorisedAt, ms, and MonoReauthSeconds: the account's latest re-authorisation after a prompt. */
  reauthorisedAtMs: number | null;
  reauthSeconds: number | null;
  /** MonoReauthChannels: of the current stay in reauth_required, else of the latest re-authorisation. */
  channels: string[] | null;
}

export interface FunnelGroup {
  prompted: number;
  reauthorised: number;
  waiting: number;
  /** reauthorised / prompted; null when nobody was prompted. */
  rate: number | null;
  /** Of the re-authorised: seconds from reauth_required to reauthorised (to a tenth); null when none re-authorised. */
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface FunnelReport {
  since: string;
  until: string;
  overall: FunnelGroup;
  byChannels: Array<{ channels: string } & FunnelGroup>;
  byInstitution: Array<{ institution: string } & FunnelGroup>;
  /** Accounts still waiting whose prompt began before the window (not in the counts above). */
  waitingPromptedBefore: number;
}

/** The label of a set of channels: sorted, joined by `+`; `none` when empty; `unknown` when not known. */
export function channelSetLabel(channels: readonly string[] | null): string {
  if (channels === null) return UNKNOWN;
  const real = channels.filter((c) => c !== 'none');
  return real.length > 0 ? [...new Set(real)].sort().join('+') : 'none';
}

const UNKNOWN = 'unknown';

/**
 * The p-th percentile (0–100) of `values`, interpolated linearly between the two nearest ranks (the common
 * definition: numpy's default, a spreadsheet's PERCENTILE.INC); null for no values.
 */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile ${p} is not between 0 and 100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

const tenths = (x: number | null): number | null => (x === null ? null : Math.round(x * 10) / 10);

/** An account's part in the window: its re-authorisation (with the channels it used) and/or its wait. */
interface Outcome {
  institution: string;
  reauthorised: { seconds: number; channels: string } | null;
  waiting: { channels: string } | null;
}

function outcomeOf(account: FunnelAccount, sinceMs: number): Outcome {
  const waitingNow = account.state === 'reauth_required' && account.sinceMs !== null;
  const waiting = waitingNow && account.sinceMs! >= sinceMs ? { channels: channelSetLabel(account.channels) } : null;
  let reauthorised: Outcome['reauthorised'] = null;
  const { reauthorisedAtMs: at, reauthSeconds: seconds } = account;
  if (at !== null && seconds !== null && at - seconds * 1000 >= sinceMs - 500) {
    // Waiting again: the channels indexed are the new stay's, not those of the re-authorisation.
    const overwritten = waitingNow && account.sinceMs! > at;
    reauthorised = { seconds, channels: overwritten ? UNKNOWN : channelSetLabel(account.channels) };
  }
  return { institution: account.institution ?? UNKNOWN, reauthorised, waiting };
}

function group(outcomes: readonly Outcome[]): FunnelGroup {
  const seconds = outcomes.flatMap((o) => (o.reauthorised ? [o.reauthorised.seconds] : []));
  const waiting = outcomes.filter((o) => o.waiting).length;
  const prompted = seconds.length + waiting;
  return {
    prompted,
    reauthorised: seconds.length,
    waiting,
    rate: prompted === 0 ? null : seconds.length / prompted,
    medianSeconds: tenths(percentile(seconds, 50)),
    p90Seconds: tenths(percentile(seconds, 90)),
  };
}

/** Groups outcomes under the keys `parts` gives each (an outcome may be split: see summariseFunnel). */
function groupBy(
  outcomes: readonly Outcome[],
  parts: (o: Outcome) => Array<[string, Outcome]>
): Map<string, FunnelGroup> {
  const byKey = new Map<string, Outcome[]>();
  for (const [key, part] of outcomes.flatMap(parts)) byKey.set(key, [...(byKey.get(key) ?? []), part]);
  return new Map([...byKey].map(([key, list]) => [key, group(list)]));
}

const biggestFirst = <T extends { prompted: number }>(rows: T[], name: (row: T) => string): T[] =>
  rows.sort((a, b) => b.prompted - a.prompted || name(a).localeCompare(name(b)));

/** The report from the accounts visibility shows; `waitingPromptedBefore` is counted apart (see FunnelReport). */
export function summariseFunnel(
  accounts: readonly FunnelAccount[],
  sinceMs: number,
  nowMs: number
): Omit<FunnelReport, 'waitingPromptedBefore'> {
  const outcomes = accounts.map((a) => outcomeOf(a, sinceMs)).filter((o) => o.reauthorised || o.waiting);
  // By channels: an account's re-authorisation and its new wait are split, each under its own channels.
  const byChannels = groupBy(outcomes, (o) => [
    ...(o.reauthorised ? [[o.reauthorised.channels, { ...o, waiting: null }] as [string, Outcome]] : []),
    ...(o.waiting ? [[o.waiting.channels, { ...o, reauthorised: null }] as [string, Outcome]] : []),
  ]);
  const byInstitution = groupBy(outcomes, (o) => [[o.institution, o]]);
  return {
    since: new Date(sinceMs).toISOString(),
    until: new Date(nowMs).toISOString(),
    overall: group(outcomes),
    byChannels: biggestFirst(
      [...byChannels].map(([channels, g]) => ({ channels, ...g })),
      (r) => r.channels
    ),
    byInstitution: biggestFirst(
      [...byInstitution].map(([institution, g]) => ({ institution, ...g })),
      (r) => r.institution
    ),
  };
}

/** The window of a report asked for without `since`. */
export const DEFAULT_FUNNEL_WINDOW = '7d';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** `since` as the report takes it: an ISO-8601 time, or a duration back from now (`7d`, `12h`). Throws with why. */
export function parseSince(text: string, nowMs: number): number {
  const value = text.trim();
  if (ISO_TIME.test(value)) {
    const ms = Date.parse(value);
    if (Number.isNaN(ms)) throw new Error(`since "${value}" is not a valid time`);
    if (ms > nowMs) throw new Error('since must not be in the future');
    return ms;
  }
  try {
    return nowMs - parseDuration(value);
  } catch {
    throw new Error('since must be an ISO-8601 time (2026-12-01T00:00:00Z) or a duration back from now (7d, 12h)');
  }
}
