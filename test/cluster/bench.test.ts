/**
 * `npm run bench -- --cluster`'s own code at toy sizes: ingest and storm run on Temporal's own server with
 * PostgreSQL beside the dev server, and the cluster's figures are its own — PostgreSQL's database size and the
 * CPU of its processes, which the dev server does not have (its SQLite runs inside the server). Figures are not
 * judged here.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { expect, it } from 'vitest';
import { DEFAULT_OPTIONS, runBench } from '../../bench/bench.js';
import { formatSummary } from '../../bench/lib/report.js';
import { BenchResults } from '../../bench/lib/results.js';

Runtime.install({ logger: new DefaultLogger('WARN') });

it('runs ingest and storm on the cluster beside the dev server, with PostgreSQL measured', async () => {
  const results = await runBench({
    ...DEFAULT_OPTIONS,
    scenarios: ['ingest', 'storm'],
    ingestAccounts: 20,
    stormAccounts: 20,
    concurrency: 4,
    cluster: true,
    progress: () => undefined,
  });
  expect(BenchResults.safeParse(results).success).toBe(true);
  const cluster = results.cluster!;
  expect(cluster.ingest?.service.ok).toBe(20);
  expect(cluster.ingest?.directClient.ok).toBe(20);
  expect(cluster.ingest?.cpuSeconds.service.temporalDatabase).toBeGreaterThan(0);
  expect(cluster.storm?.storm.missing).toBe(0);
  expect(cluster.storm?.scale.temporalDbBytes.afterCreate).toBeGreaterThan(0);
  expect(cluster.storm?.scale.temporalDbBytes.afterStorm).toBeGreaterThanOrEqual(
    cluster.storm!.scale.temporalDbBytes.afterCreate
  );
  expect(cluster.storm?.create.cpuSeconds.temporalDatabase).toBeGreaterThan(0);
  // The dev server's runs have no separate database process.
  expect(results.storm?.create.cpuSeconds).not.toHaveProperty('temporalDatabase');
  expect(results.storm?.scale.temporalDbBytes.afterCreate).toBeGreaterThan(0);
  expect(formatSummary(results)).toContain('PostgreSQL');
}, 600_000);
