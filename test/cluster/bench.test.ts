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

it('compares one worker process with two on the cluster only, reusing the cluster storm as the first side', async () => {
  const results = await runBench({
    ...DEFAULT_OPTIONS,
    scenarios: ['ingest', 'storm', 'workers'],
    ingestAccounts: 20,
    stormAccounts: 20,
    concurrency: 4,
    cluster: true,
    clusterOnly: true,
    progress: () => undefined,
  });
  expect(BenchResults.safeParse(results).success).toBe(true);
  expect(results.ingest).toBeUndefined();
  expect(results.storm).toBeUndefined();
  const { workers, cluster } = results;
  expect(workers?.engine).toBe('cluster');
  expect(workers?.one).toMatchObject({ workers: 1, missing: 0, processedMs: cluster!.storm!.storm.processedMs });
  expect(workers?.two).toMatchObject({ workers: 2, missing: 0 });
  expect(workers?.processedRatio).toBeGreaterThan(0);
  // With two workers, both processes' CPU is counted in the cost per recovered account.
  expect(workers?.two.cpuMsPerAccount).toBeGreaterThan(0);
  expect(cluster?.recoveryCost?.split?.recovery?.workerWorkflow).toBeGreaterThan(0);
  expect(formatSummary(results)).toContain('Worker processes');
}, 600_000);
