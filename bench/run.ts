/**
 * `npm run bench [-- options]`: measures the webhook path, the midnight storm, scale, the history bound and what
 * tracing costs (and, when asked, bulk enrolment at the Mono rate limit), prints a summary table and writes the
 * full results to bench/results/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEFAULT_OPTIONS, DEFAULT_SCENARIOS, runBench, SCENARIOS, type Scenario } from './bench.js';
import { REPO_ROOT } from './lib/processes.js';
import { formatSummary } from './lib/report.js';
import { HISTORY_SHARDS } from '../scripts/cluster/temporal-cluster.js';

const HELP = `Usage: npm run bench [-- options]

  --only LIST         scenarios to run, comma-separated: ${SCENARIOS.join(',')}
                      (default: ${DEFAULT_SCENARIOS.join(',')}; import takes about 20 minutes at its defaults,
                      workers runs the storm with one worker process and then two, on the cluster with --cluster)
  --ingest N          webhooks per path in the ingest comparison (default ${DEFAULT_OPTIONS.ingestAccounts})
  --storm N           accounts created and then stormed (default ${DEFAULT_OPTIONS.stormAccounts})
  --concurrency C     requests in flight (default ${DEFAULT_OPTIONS.concurrency})
  --days D            simulated days in the history-bound run (default ${DEFAULT_OPTIONS.historyDays})
  --tracing N         accounts stormed with tracing off, then on (default ${DEFAULT_OPTIONS.tracingAccounts})
  --memory N          accounts cached per round of the memory scenario, untraced then traced (default ${DEFAULT_OPTIONS.memoryAccounts})
  --import N          account ids imported at MONO_MAX_RPS (default ${DEFAULT_OPTIONS.importAccounts}; the rate with
                      --env MONO_MAX_RPS=R, default 10)
  --env KEY=VALUE     extra environment for the service process, repeatable
                      (e.g. --env WORKER_MAX_CACHED_WORKFLOWS=2000)
  --cluster           also run ingest and storm on Temporal's own server with PostgreSQL (scripts/cluster)
  --cluster-shards N  that cluster's history shards (default ${HISTORY_SHARDS}, docker-compose's); implies --cluster
  --cluster-only      ingest and storm on the cluster only (implies --cluster)
  --one-process       run the service as one process (npm start's layout) instead of two,
                      SERVICE_ROLE=ingress and SERVICE_ROLE=worker (docker-compose's layout, the default)
  --durable-sqlite    keep fsync on every commit in the bench's Temporal dev server (default: synchronous=OFF)
  --profile DIR       write a V8 CPU profile of the service process to DIR (.cpuprofile)
  --keep              keep the temp folder with Temporal's database and the service's log
  --out FILE          where to write the JSON (default bench/results/bench-<time>.json, and latest.json)
`;

function positive(name: string, text: string | undefined, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a whole number of at least 1, not "${text}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: 'string' },
      ingest: { type: 'string' },
      storm: { type: 'string' },
      concurrency: { type: 'string' },
      days: { type: 'string' },
      import: { type: 'string' },
      tracing: { type: 'string' },
      memory: { type: 'string' },
      env: { type: 'string', multiple: true },
      keep: { type: 'boolean' },
      profile: { type: 'string' },
      'durable-sqlite': { type: 'boolean' },
      'one-process': { type: 'boolean' },
      cluster: { type: 'boolean' },
      'cluster-shards': { type: 'string' },
      'cluster-only': { type: 'boolean' },
      out: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const scenarios = (values.only?.split(',').map((s) => s.trim()) ?? [...DEFAULT_SCENARIOS]) as Scenario[];
  const unknown = scenarios.filter((s) => !SCENARIOS.includes(s));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}; choose from ${SCENARIOS.join(', ')}`);
  const serviceEnv: Record<string, string> = {};
  for (const pair of values.env ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--env takes KEY=VALUE, not "${pair}"`);
    serviceEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }

  Runtime.install({ logger: new DefaultLogger('WARN') });
  const started = Date.now();
  const progress = (line: string): void => {
    const s = Math.round((Date.now() - started) / 1000);
    process.stderr.write(
      `[bench ${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}] ${line}\n`
    );
  };
  const results = await runBench({
    scenarios,
    ingestAccounts: positive('ingest', values.ingest, DEFAULT_OPTIONS.ingestAccounts),
    stormAccounts: positive('storm', values.storm, DEFAULT_OPTIONS.stormAccounts),
    concurrency: positive('concurrency', values.concurrency, DEFAULT_OPTIONS.concurrency),
    historyDays: positive('days', values.days, DEFAULT_OPTIONS.historyDays),
    importAccounts: positive('import', values.import, DEFAULT_OPTIONS.importAccounts),
    tracingAccounts: positive('tracing', values.tracing, DEFAULT_OPTIONS.tracingAccounts),
    memoryAccounts: positive('memory', values.memory, DEFAULT_OPTIONS.memoryAccounts),
    serviceEnv,
    keep: values.keep ?? false,
    durableSqlite: values['durable-sqlite'] ?? false,
    split: !(values['one-process'] ?? false),
    cluster: (values.cluster ?? false) || values['cluster-only'] === true || values['cluster-shards'] !== undefined,
    clusterOnly: values['cluster-only'] ?? false,
    ...(values['cluster-shards'] !== undefined
      ? { clusterShards: positive('cluster-shards', values['cluster-shards'], HISTORY_SHARDS) }
      : {}),
    ...(values.profile ? { profileDir: resolve(values.profile) } : {}),
    progress,
  });

  const dir = join(REPO_ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const out = values.out ?? join(dir, `bench-${results.startedAt.replace(/[:.]/g, '-')}.json`);
  const json = JSON.stringify(results, null, 2) + '\n';
  writeFileSync(out, json);
  if (!values.out) writeFileSync(join(dir, 'latest.json'), json);
  process.stdout.write(`\n${formatSummary(results)}\n\nFull results: ${out}\n`);
}

main().catch((err: unknown) => {
  console.error(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
