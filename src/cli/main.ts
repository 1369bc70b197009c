/**
 * `mono-reauth` — the operator CLI. Talks to Temporal directly with the service's configuration
 * (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE).
 *
 *   mono-reauth accounts list [--state S] [--escalated] [--institution I] [--limit N] [--json]
 *   mono-reauth accounts show <accountId> [--json]
 *   mono-reauth accounts retry <accountId> [--reason R] [--json]
 *   mono-reauth accounts retry --state S [--escalated] [--institution I] --reason R [--yes] [--concurrency N] [--json]
 *   mono-reauth accounts resend <accountId> [--reason R] [--json]
 *   mono-reauth notices list [--account A] [--since T] [--json]
 *   mono-reauth notices redeliver --account A [--id N …] [--since T] [--yes] [--json]
 *   mono-reauth notices redeliver [--since T] [--spread D] [--dry-run] [--yes] [--json]   (every account: a job)
 *   mono-reauth accounts import [file] [--column C] [--dry-run] [--yes] [--json]           (a job)
 *   mono-reauth jobs [list|show|cancel] …   (cli/jobs.ts)
 *   mono-reauth incidents list [--json]      (cli/incidents.ts)
 *   mono-reauth builds [list|promote|ramp|sweep] …   (cli/builds.ts)
 *   mono-reauth funnel [--since 7d] [--json]   (cli/funnel.ts)
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { codecKeysFor, ConfigError, loadConfig, type Config, withSecretFiles } from '../config.js';
import { dataConverterFor } from '../temporal/data-converter.js';
import { checkTemporalConnection, connectionOptions } from '../temporal/connection.js';
import {
  AccountNotFound,
  RequestRefused,
  createAccountWorkflows,
  type AccountDeadLetter,
  type AccountWorkflows as Accounts,
} from '../accounts/client.js';
import { ACCOUNT_ID_PATTERN } from '../workflows/account-lifecycle/api/messages.js';
import { AccountFilter } from '../accounts/query.js';
import { table } from './format.js';
import { importAccounts, ImportUsageError } from './import.js';
import { forEachConcurrently } from '../lib/concurrently.js';
import { BUILDS_USAGE, buildsCommand, BuildsUsageError } from './builds.js';
import { describeProgress, followJob, JOBS_USAGE, jobsCommand, JobsUsageError } from './jobs.js';
import { INCIDENTS_USAGE, incidentsCommand } from './incidents.js';
import { createIncidents } from '../incidents/client.js';
import { createJobs, JobAlreadyRunning, type Jobs } from '../jobs/client.js';
import { formatDuration, parseDuration } from '../lib/duration.js';
import { FUNNEL_USAGE, funnelCommand, FunnelUsageError } from './funnel.js';

const USAGE = `usage: mono-reauth <group> <command> [options]

Accounts
  mono-reauth accounts list [--state S] [--escalated] [--institution I] [--limit N] [--json]
  mono-reauth accounts show <accountId> [--json]
  mono-reauth accounts retry <accountId> [--reason "…"] [--json]
  mono-reauth accounts retry --state S [--escalated] [--institution I] --reason "…" [--yes] [--concurrency N] [--json]
  mono-reauth accounts resend <accountId> [--reason "…"] [--json]
  mono-reauth accounts import [file] [--column C] [--dry-run] [--yes] [--json]
      Mono account ids one a line (or a CSV column) from the file or stdin; already known ids are skipped.

Notices (the messages sent to owners and operators)
  mono-reauth notices list [--account <accountId>] [--since <ISO time>] [--json]
  mono-reauth notices redeliver --account <accountId> [--id <noticeId> …] [--since <ISO time>] [--yes] [--json]
  mono-reauth notices redeliver [--since <ISO time>] [--spread <duration>] [--dry-run] [--yes] [--json]
      "notices list" shows those that gave up on a channel (dead letters); "notices redeliver" sends them again
      under the same ids; for every account, the first attempts are spread over --spread (default REDELIVER_SPREAD).

Jobs (redelivering every account's notices and importing run as jobs)
${JOBS_USAGE}
      Ctrl-C stops following a job, not the job.

Incidents (a bank whose accounts fail together: owners' re-auth notices wait for it to recover)
${INCIDENTS_USAGE}

Builds
${BUILDS_USAGE}
      The worker builds of TEMPORAL_DEPLOYMENT_NAME: promote, ramp or roll back a release (docs/releasing.md).

Reports
${FUNNEL_USAGE}
      Owners prompted to re-authorise since a time (default 7d): how many did, how fast (median, p90), by the
      channels that delivered the prompts and by institution.

States: connected, synced, sync_failed, reauth_required, reauthorised, unlinked.
Connects to TEMPORAL_ADDRESS (default localhost:7233), namespace TEMPORAL_NAMESPACE (default default).`;

class UsageError extends Error {}

const { values: opts, positionals } = (() => {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        state: { type: 'string' },
        escalated: { type: 'boolean' },
        institution: { type: 'string' },
        limit: { type: 'string' },
        reason: { type: 'string' },
        yes: { type: 'boolean', short: 'y' },
        concurrency: { type: 'string' },
        json: { type: 'boolean' },
        account: { type: 'string' },
        id: { type: 'string', multiple: true },
        since: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        column: { type: 'string' },
        'dry-run': { type: 'boolean' },
        stop: { type: 'boolean' },
        spread: { type: 'string' },
      },
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
})();

const print = (text: string): void => void process.stdout.write(`${text}\n`);
const json = (value: unknown): void => print(JSON.stringify(value, null, 2));

function filterFromOptions(): AccountFilter {
  const parsed = AccountFilter.safeParse({
    state: opts.state,
    escalated: opts.escalated ? true : undefined,
    institution: opts.institution,
  });
  if (!parsed.success)
    throw new UsageError(parsed.error.issues.map((i) => `--${i.path.join('.')} ${i.message}`).join('; '));
  return parsed.data;
}

function positiveInt(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new UsageError(`--${name} must be a whole number of at least 1`);
  return n;
}

async function list(accounts: Accounts): Promise<void> {
  const limit = positiveInt(opts.limit, 'limit', 1000);
  const rows = [];
  for await (const account of accounts.listAll(filterFromOptions(), Math.min(limit, 500))) {
    rows.push(account);
    if (rows.length >= limit) break;
  }
  if (opts.json) return json({ accounts: rows });
  print(
    table(
      ['ACCOUNT', 'STATE', 'SINCE', 'ESCALATED', 'INSTITUTION'],
      rows.map((a) => [a.accountId, a.state ?? '-', a.since ?? '-', a.escalated ? 'yes' : 'no', a.institution ?? '-'])
    )
  );
  print(
    `${rows.length} account${rows.length === 1 ? '' : 's'}${rows.length === limit ? ` (limit ${limit}; use --limit)` : ''}`
  );
}

async function show(accounts: Accounts, accountId: string): Promise<void> {
  const view = await accounts.show(accountId);
  if (opts.json) return json(view);
  print(`Account      ${view.accountId}`);
  print(`State        ${view.state ?? '-'} since ${view.since ?? '-'}`);
  print(
    `Escalated    ${view.escalated ? `yes — ${view.escalation?.reason ?? ''} (${view.escalation?.at ?? ''})` : 'no'}`
  );
  print(`Institution  ${view.institution ?? '-'}`);
  print(`Attempts     ${view.attempts}${view.nextSyncAt ? `, next sync at ${view.nextSyncAt}` : ''}`);
  if (view.lastSync) print(`Last sync    ${view.lastSync.at} ${view.lastSync.outcome} (${view.lastSync.code})`);
  print(
    `Events       ${view.counts.events} (${view.counts.unchanged} without change, ${view.counts.duplicates} duplicates)`
  );
  print('\nHistory');
  print(
    table(
      ['AT', 'FROM', 'TO', 'CAUSE'],
      view.history.map((t) => [t.at, t.from ?? '(new)', t.to, t.cause])
    )
  );
}

async function retryOne(accounts: Accounts, accountId: string): Promise<void> {
  const accepted = await accounts.retry(accountId, opts.reason);
  if (opts.json) return json({ accountId, outcome: 'accepted', ...accepted });
  print(`accepted: ${accountId} (${accepted.state}) will sync at ${accepted.syncAt}`);
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const answer = await new Promise<string>((resolve) => {
    rl.question(question, resolve);
    rl.once('close', () => resolve(''));
  });
  rl.close();
  return /^y(es)?$/i.test(answer.trim());
}

type Outcome = { accountId: string; outcome: 'accepted' | 'refused' | 'failed'; detail: string };

async function retryMany(accounts: Accounts): Promise<number> {
  const filter = filterFromOptions();
  if (!filter.state) throw new UsageError('bulk retry needs --state (e.g. --state sync_failed)');
  if (!opts.reason) throw new UsageError('bulk retry needs --reason "…" (it is recorded in every account’s history)');
  const concurrency = positiveInt(opts.concurrency, 'concurrency', 8);
  const total = await accounts.count(filter);
  const what = `${total} account${total === 1 ? '' : 's'} in state ${filter.state}${filter.escalated ? ' (escalated)' : ''}${filter.institution ? ` at ${filter.institution}` : ''}`;
  if (total === 0) {
    if (opts.json) json({ total: 0, outcomes: [] });
    else print(`No ${what.replace(/^0 accounts /, 'accounts ')}: nothing to do.`);
    return 0;
  }
  if (!opts.yes && !(await confirm(`Retry the sync of ${what}, reason "${opts.reason}"? [y/N] `))) {
    console.error('Aborted; nothing was retried.');
    return 1;
  }

  const outcomes: Outcome[] = [];
  let done = 0;
  await forEachConcurrently(accounts.listAll(filter), concurrency, async ({ accountId }) => {
    let outcome: Outcome;
    try {
      const accepted = await accounts.retry(accountId, opts.reason);
      outcome = { accountId, outcome: 'accepted', detail: `sync at ${accepted.syncAt}` };
    } catch (err) {
      outcome =
        err instanceof RequestRefused || err instanceof AccountNotFound
          ? { accountId, outcome: 'refused', detail: err.message }
          : { accountId, outcome: 'failed', detail: err instanceof Error ? err.message : String(err) };
    }
    outcomes.push(outcome);
    done += 1;
    if (!opts.json) print(`[${done}/${total}] ${accountId} ${outcome.outcome}: ${outcome.detail}`);
  });
  const count = (o: Outcome['outcome']): number => outcomes.filter((x) => x.outcome === o).length;
  if (opts.json)
    json({
      total: outcomes.length,
      accepted: count('accepted'),
      refused: count('refused'),
      failed: count('failed'),
      outcomes,
    });
  else
    print(
      `\n${outcomes.length} accounts: ${count('accepted')} accepted, ${count('refused')} refused, ${count('failed')} failed`
    );
  return count('failed') > 0 ? 1 : 0;
}

function sinceOption(): string | undefined {
  if (opts.since === undefined) return undefined;
  if (Number.isNaN(Date.parse(opts.since)) || !/^\d{4}-\d{2}-\d{2}/.test(opts.since))
    throw new UsageError('--since must be an ISO-8601 time, e.g. 2026-12-01T00:00:00Z');
  return new Date(opts.since).toISOString();
}

function accountOption(): string | undefined {
  if (opts.account !== undefined && !ACCOUNT_ID_PATTERN.test(opts.account))
    throw new UsageError('--account must be a Mono account id');
  return opts.account;
}

/** The dead letters the options select: one account's, or every account's. */
async function deadLetters(accounts: Accounts): Promise<AccountDeadLetter[]> {
  const since = sinceOption();
  const account = accountOption();
  const ids = opts.id && opts.id.length > 0 ? new Set(opts.id) : null;
  const letters: AccountDeadLetter[] = [];
  if (account) {
    const found = await accounts.notices(account);
    for (const u of found.undelivered) {
      if (since === undefined || Date.parse(u.failedAt) >= Date.parse(since))
        letters.push({ accountId: account, ...u });
    }
  } else {
    for await (const letter of accounts.undeliveredAll(since)) letters.push(letter);
  }
  return ids ? letters.filter((l) => ids.has(l.id)) : letters;
}

async function noticesList(accounts: Accounts): Promise<void> {
  const letters = await deadLetters(accounts);
  if (opts.json) return json({ notices: letters });
  print(
    table(
      ['ACCOUNT', 'NOTICE', 'TYPE', 'CHANNEL', 'FAILED AT', 'ERROR'],
      letters.map((l) => [l.accountId, l.id, l.type, l.channel, l.failedAt, l.error.slice(0, 80)])
    )
  );
  const accountsWith = new Set(letters.map((l) => l.accountId)).size;
  print(
    `${letters.length} undelivered notice${letters.length === 1 ? '' : 's'} in ${accountsWith} account${accountsWith === 1 ? '' : 's'}`
  );
}

type RedeliverOutcome = {
  accountId: string;
  outcome: 'requeued' | 'refused' | 'failed';
  requeued: string[];
  detail: string;
};

async function noticesRedeliver(accounts: Accounts): Promise<number> {
  if (opts.id && opts.id.length > 0 && !opts.account)
    throw new UsageError('--id needs --account (notice ids are per account)');
  if (opts.spread !== undefined) throw new UsageError('--spread is for every account (without --account)');
  const letters = await deadLetters(accounts);
  const byAccount = new Map<string, string[]>();
  for (const l of letters) byAccount.set(l.accountId, [...(byAccount.get(l.accountId) ?? []), l.id]);
  const what = `${letters.length} undelivered notice${letters.length === 1 ? '' : 's'} in ${byAccount.size} account${byAccount.size === 1 ? '' : 's'}`;
  if (letters.length === 0) {
    if (opts.json) json({ total: 0, outcomes: [] });
    else print('No undelivered notices match: nothing to do.');
    return 0;
  }
  if (!opts.yes && !(await confirm(`Redeliver ${what} (same ids, on the channels that failed)? [y/N] `))) {
    console.error('Aborted; nothing was redelivered.');
    return 1;
  }
  const concurrency = positiveInt(opts.concurrency, 'concurrency', 8);
  const since = sinceOption();
  const outcomes: RedeliverOutcome[] = [];
  const started = Date.now();
  await forEachConcurrently(byAccount.entries(), concurrency, async ([accountId, noticeIds]) => {
    let outcome: RedeliverOutcome;
    try {
      const accepted = await accounts.redeliverNotices(accountId, { noticeIds, ...(since ? { since } : {}) });
      const skipped = accepted.skipped.length > 0 ? `, ${accepted.skipped.length} no longer wanted` : '';
      outcome = {
        accountId,
        outcome: 'requeued',
        requeued: accepted.requeued,
        detail: `${accepted.requeued.length} requeued${skipped}`,
      };
    } catch (err) {
      const refused = err instanceof RequestRefused || err instanceof AccountNotFound;
      outcome = { accountId, outcome: refused ? 'refused' : 'failed', requeued: [], detail: (err as Error).message };
    }
    outcomes.push(outcome);
    if (!opts.json) {
      const rate = outcomes.length / Math.max((Date.now() - started) / 1000, 0.001);
      print(
        `[${outcomes.length}/${byAccount.size}] ${accountId} ${outcome.outcome}: ${outcome.detail} (${rate.toFixed(1)} accounts/s)`
      );
    }
  });
  const count = (o: RedeliverOutcome['outcome']): number => outcomes.filter((x) => x.outcome === o).length;
  const requeued = outcomes.reduce((n, o) => n + o.requeued.length, 0);
  if (opts.json)
    json({ total: letters.length, requeued, refused: count('refused'), failed: count('failed'), outcomes });
  else
    print(
      `\n${byAccount.size} accounts: ${requeued} notices requeued, ${count('refused')} accounts refused, ${count('failed')} failed`
    );
  return count('failed') > 0 ? 1 : 0;
}

/** Every account's dead letters, by the redeliver job: a count first, a confirmation, then the job's progress. */
async function redeliverEverything(accounts: Accounts, jobs: Jobs, config: Config): Promise<number> {
  const since = sinceOption();
  const spreadMs = spreadOption(config.redeliverSpreadMs);
  const withLetters = await accounts.count({ undelivered: true });
  const what = `the undelivered notices${since ? ` (failed since ${since})` : ''} of ${withLetters} account${withLetters === 1 ? '' : 's'}`;
  if (withLetters === 0) {
    if (opts.json) json({ accounts: 0 });
    else print('No account has undelivered notices: nothing to do.');
    return 0;
  }
  if (opts['dry-run']) {
    if (opts.json) json({ dryRun: true, accounts: withLetters });
    else print(`Dry run: would redeliver ${what}, spread over ${formatDuration(spreadMs)}.`);
    return 0;
  }
  const question = `Redeliver ${what} (same ids, on the channels that failed), spread over ${formatDuration(spreadMs)}? [y/N] `;
  if (!opts.yes && !(await confirm(question))) {
    console.error('Aborted; nothing was redelivered.');
    return 1;
  }
  let job;
  try {
    job = await jobs.start('redeliver', { ...(since && { since }), spreadMs, dryRun: false, concurrency: 8 });
  } catch (err) {
    if (err instanceof JobAlreadyRunning)
      throw new UsageError(`${err.message}: mono-reauth jobs show ${err.running.id}`);
    throw err;
  }
  const finished = await followJob(jobs, job, { json: opts.json ?? false, print, progress: progressLine });
  if (opts.json) json(finished);
  else print(`${finished.id} ${finished.status}: ${describeProgress(finished)}`);
  return finished.status === 'completed' && !finished.progress?.counts.failed ? 0 : 1;
}

function spreadOption(fallback: number): number {
  if (opts.spread === undefined) return fallback;
  try {
    const ms = parseDuration(opts.spread);
    if (ms <= 86_400_000) return ms;
  } catch {
    // reported below
  }
  throw new UsageError('--spread must be a duration of at most a day, e.g. 0s, 90s, 10m');
}

const progressLine = (line: string): void => void process.stderr.write(`${line}\n`);

async function main(): Promise<number> {
  if (opts.help || positionals.length === 0) {
    print(USAGE);
    return opts.help ? 0 : 2;
  }
  const [group, command, accountId, ...extra] = positionals;
  const commands: Record<string, string[]> = {
    accounts: ['list', 'show', 'retry', 'resend', 'import'],
    notices: ['list', 'redeliver'],
    incidents: ['list'],
  };
  const known = group !== undefined && command !== undefined && commands[group]?.includes(command);
  if (group === 'funnel' && command !== undefined) throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  if (
    group !== 'builds' &&
    group !== 'jobs' &&
    group !== 'funnel' &&
    (!known || extra.length > 0 || ((group === 'notices' || group === 'incidents') && accountId !== undefined))
  ) {
    throw new UsageError(`unknown command: ${positionals.join(' ')}`);
  }
  const config = loadConfig(withSecretFiles(process.env), { operatorTool: true });
  const { client, connection, accounts } = await connect(config);
  const jobs = createJobs({ client, taskQueue: config.temporal.taskQueue });
  try {
    if (group === 'builds') {
      return await buildsCommand(positionals.slice(1), {
        client,
        connection,
        namespace: config.temporal.namespace,
        taskQueue: config.temporal.taskQueue,
        deploymentName: config.temporal.deployment.name,
        json: opts.json ?? false,
        stop: opts.stop ?? false,
        print,
      });
    }
    if (group === 'funnel')
      return await funnelCommand(accounts, { since: opts.since, json: opts.json ?? false, print });
    if (group === 'jobs') {
      return await jobsCommand(positionals.slice(1), jobs, { json: opts.json ?? false, print, progress: progressLine });
    }
    if (group === 'incidents') {
      const incidents = createIncidents({ client, taskQueue: config.temporal.taskQueue });
      return await incidentsCommand(incidents, { json: opts.json ?? false, print });
    }
    if (group === 'notices') {
      if (command === 'redeliver' && !opts.account) return await redeliverEverything(accounts, jobs, config);
      if (command !== 'list') return await noticesRedeliver(accounts);
      await noticesList(accounts);
      return 0;
    }
    return await accountsCommand(accounts, jobs, command!, accountId);
  } finally {
    await connection.close();
  }
}

/** Connects as the service does: the same Temporal settings and payload codec (answers are encrypted). */
async function connect(config: Config): Promise<{ client: Client; connection: Connection; accounts: Accounts }> {
  const { target } = config.temporal;
  // A clear error (unreachable, TLS, credentials, namespace) instead of a hang on the first call.
  await checkTemporalConnection(target, 5_000);
  const connection = await Connection.connect({ ...connectionOptions(target), connectTimeout: 5_000 });
  const dataConverter = dataConverterFor(codecKeysFor(config.temporal));
  const client = new Client({ connection, namespace: config.temporal.namespace, dataConverter });
  const accounts = createAccountWorkflows({
    client,
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    settings: config.lifecycle,
  });
  return { client, connection, accounts };
}

async function accountsCommand(
  accounts: Accounts,
  jobs: Jobs,
  command: string,
  accountId: string | undefined
): Promise<number> {
  switch (command) {
    case 'list':
      await list(accounts);
      return 0;
    case 'show':
      if (!accountId) throw new UsageError('show needs an account id');
      await show(accounts, accountId);
      return 0;
    case 'retry':
      if (!accountId) return retryMany(accounts);
      await retryOne(accounts, accountId);
      return 0;
    case 'resend': {
      if (!accountId) throw new UsageError('resend needs an account id');
      const accepted = await accounts.resendReauthLink(accountId, opts.reason);
      if (opts.json) json({ accountId, outcome: 'accepted', ...accepted });
      else print(`accepted: a fresh re-auth link goes to the owner of ${accountId} (message ${accepted.noticeId})`);
      return 0;
    }
    case 'import':
      return importAccounts(accounts, jobs, {
        file: accountId,
        column: opts.column,
        dryRun: opts['dry-run'] ?? false,
        yes: opts.yes ?? false,
        json: opts.json ?? false,
        confirm,
        print,
        progress: progressLine,
      });
    default:
      throw new UsageError(`unknown command: accounts ${command}`);
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (
      err instanceof UsageError ||
      err instanceof ImportUsageError ||
      err instanceof BuildsUsageError ||
      err instanceof JobsUsageError ||
      err instanceof FunnelUsageError
    ) {
      console.error(`${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    if (err instanceof ConfigError) console.error(err.message);
    else if (err instanceof AccountNotFound || err instanceof RequestRefused) console.error(err.message);
    else console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
);
