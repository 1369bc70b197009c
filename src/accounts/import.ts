/**
 * Bulk enrolment of accounts linked before the service (docs/operating.md, "Import existing accounts"): Mono account
 * ids from text (one a line, or a CSV column), a preview of what is new, and enrolment — each new account's workflow
 * is started with the `enrol` signal and learns its state from Mono's API itself, paced by MONO_MAX_RPS. Idempotent:
 * an account that already has a workflow is left alone, so running an import again resumes it.
 */
import { z } from 'zod';
import { ACCOUNT_ID_PATTERN } from '../workflows/account-lifecycle/api/messages.js';
import type { AccountWorkflows } from './client.js';
import { forEachConcurrently } from '../lib/concurrently.js';

export const AccountIdSchema = z.string().regex(ACCOUNT_ID_PATTERN, 'is not a Mono account id');

/** At most this many ids in one admin API request; the CLI has no limit (it works through them in order). */
export const MAX_IDS_PER_REQUEST = 10_000;

const ID_HEADERS = ['account_id', 'accountid', 'account', 'id', '_id', 'mono_id', 'mono_account_id'];

interface ParsedIds {
  /** Valid ids, first occurrence order, without repeats. */
  ids: string[];
  /** Lines that are not an id, with their 1-based line number (the value is not echoed: it may be anything). */
  invalid: Array<{ line: number; reason: string }>;
  repeated: number;
}

/**
 * Reads ids from text: one a line, or with commas a CSV whose column is `column` (a header name or a 1-based
 * number), else the column whose header is an id's (account_id, id, _id, …), else the first. Blank lines and
 * `#` comments are skipped.
 */
export function parseAccountIds(text: string, column?: string): ParsedIds {
  const lines = text.split(/\r?\n/);
  const isCsv = lines.some((l) => l.includes(','));
  let index = 0;
  let first = 0;
  if (isCsv) {
    const header = splitCsv(lines[0] ?? '').map((h) => h.trim().toLowerCase());
    if (column !== undefined && /^\d+$/.test(column)) index = Number(column) - 1;
    else if (column !== undefined) {
      index = header.indexOf(column.trim().toLowerCase());
      if (index < 0) throw new Error(`the CSV has no column "${column}" (its header is: ${header.join(', ')})`);
      first = 1;
    } else {
      const named = header.findIndex((h) => ID_HEADERS.includes(h));
      if (named >= 0) [index, first] = [named, 1];
    }
    if (first === 0 && !AccountIdSchema.safeParse((splitCsv(lines[0] ?? '')[index] ?? '').trim()).success) first = 1;
  }
  const seen = new Set<string>();
  const result: ParsedIds = { ids: [], invalid: [], repeated: 0 };
  lines.forEach((raw, i) => {
    if (i < first) return;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const value = (isCsv ? (splitCsv(line)[index] ?? '') : line).trim().replace(/^"|"$/g, '');
    if (!AccountIdSchema.safeParse(value).success) {
      result.invalid.push({ line: i + 1, reason: value === '' ? 'no id in this line' : 'not a Mono account id' });
      return;
    }
    if (seen.has(value)) return void (result.repeated += 1);
    seen.add(value);
    result.ids.push(value);
  });
  return result;
}

function splitCsv(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    else if (ch === ',' && !quoted) [cells[cells.length], cell] = [cell, ''];
    else cell += ch;
  }
  cells.push(cell);
  return cells;
}

interface ImportPlan {
  total: number;
  newIds: string[];
  known: number;
}

/** Which ids are new (no workflow yet) and how many are already known. */
export async function planImport(accounts: Pick<AccountWorkflows, 'knownIds'>, ids: string[]): Promise<ImportPlan> {
  const known = await accounts.knownIds(ids);
  return { total: ids.length, newIds: ids.filter((id) => !known.has(id)), known: known.size };
}

export interface ImportResult {
  started: number;
  /** Already had a workflow by the time it was enrolled (another import, a webhook). */
  closed: number;
  failed: number;
  failures: Array<{ accountId: string; error: string }>;
  seconds: number;
  /** Enrolments handed to Temporal per second. */
  ratePerSecond: number;
}

/** Enrols `ids` with `concurrency` in flight; `onProgress` after each one. */
export async function runImport(
  accounts: Pick<AccountWorkflows, 'enrol'>,
  ids: string[],
  options: {
    concurrency?: number;
    source?: string;
    onProgress?: (done: number, total: number, ratePerSecond: number) => void;
  } = {}
): Promise<ImportResult> {
  const startedAt = Date.now();
  const result: ImportResult = { started: 0, closed: 0, failed: 0, failures: [], seconds: 0, ratePerSecond: 0 };
  let done = 0;
  const rate = (): number => done / Math.max((Date.now() - startedAt) / 1000, 0.001);
  await forEachConcurrently(ids, Math.min(options.concurrency ?? 16, ids.length), async (accountId) => {
    try {
      const delivered = await accounts.enrol(accountId, options.source ?? 'import');
      if (delivered.status === 'accepted') result.started += 1;
      else result.closed += 1;
    } catch (err) {
      result.failed += 1;
      result.failures.push({ accountId, error: err instanceof Error ? err.message : String(err) });
    }
    done += 1;
    options.onProgress?.(done, ids.length, rate());
  });
  result.seconds = (Date.now() - startedAt) / 1000;
  result.ratePerSecond = Math.round(rate() * 10) / 10;
  return result;
}
