/** `mono-reauth funnel [--since 7d] [--json]`: the re-auth funnel report (src/accounts/reauth-funnel.ts) as a table. */
import type { AccountWorkflows } from '../accounts/client.js';
import { DEFAULT_FUNNEL_WINDOW, parseSince, type FunnelGroup, type FunnelReport } from '../accounts/funnel-summary.js';
import { table } from './format.js';

export const FUNNEL_USAGE = `  mono-reauth funnel [--since <ISO time or duration, e.g. 7d>] [--json]`;

export class FunnelUsageError extends Error {}

export interface FunnelOptions {
  since?: string;
  json: boolean;
  print: (text: string) => void;
}

export async function funnelCommand(
  accounts: Pick<AccountWorkflows, 'reauthFunnel'>,
  { since, json, print }: FunnelOptions
): Promise<number> {
  const nowMs = Date.now();
  let sinceMs: number;
  try {
    sinceMs = parseSince(since ?? DEFAULT_FUNNEL_WINDOW, nowMs);
  } catch (err) {
    throw new FunnelUsageError(`--${(err as Error).message}`);
  }
  const report = await accounts.reauthFunnel(sinceMs, nowMs);
  print(json ? JSON.stringify(report, null, 2) : funnelTable(report));
  return 0;
}

/** The report as operators read it: one row overall, then one per channel set and per institution. */
export function funnelTable(report: FunnelReport): string {
  const row = (name: string, g: FunnelGroup): string[] => [
    name,
    String(g.prompted),
    String(g.reauthorised),
    String(g.waiting),
    g.rate === null ? '-' : `${Math.round(g.rate * 100)}%`,
    formatSeconds(g.medianSeconds),
    formatSeconds(g.p90Seconds),
  ];
  const rows = [
    row('all', report.overall),
    ...report.byChannels.map((g) => row(`channels: ${g.channels}`, g)),
    ...report.byInstitution.map((g) => row(`institution: ${g.institution}`, g)),
  ];
  const before = report.waitingPromptedBefore;
  return [
    `Re-auth funnel: owners prompted from ${report.since} to ${report.until}`,
    '',
    table(['GROUP', 'PROMPTED', 'REAUTHORISED', 'WAITING', 'RATE', 'MEDIAN', 'P90'], rows),
    ...(before > 0 ? ['', `${before} more still waiting, prompted before ${report.since}.`] : []),
  ].join('\n');
}

/** `42s`, `5m 3s`, `2h 10m`, `3d 4h`; `-` for none. */
export function formatSeconds(seconds: number | null): string {
  if (seconds === null) return '-';
  if (seconds < 60) return `${Math.round(seconds * 10) / 10}s`;
  const s = Math.round(seconds);
  const [d, h, m] = [Math.floor(s / 86_400), Math.floor((s % 86_400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  return `${m}m ${s % 60}s`;
}
