/**
 * Ingest: distinct accounts' `account_synced` webhooks through the service, beside the same
 * signal-with-starts issued directly by a Temporal client (the design's ceiling) and a bare Express route
 * (the HTTP layer's ceiling). Service and direct client run interleaved A-B-B-A so that the growing database
 * and the worker's background load affect both alike.
 */
import { createJsonPoster, mergeLoads, runLoad, withoutRaw, type LoadResult } from '../lib/load.js';
import type { IngestResult } from '../lib/results.js';
import { ratio } from '../lib/stats.js';
import {
  addThreads,
  cpuMeter,
  waitForWorkers,
  loadProgress,
  sendDirect,
  sendThroughService,
  temporalAndWorkerSeconds,
  webhookBody,
  type CpuReading,
  type LiveStack,
} from '../lib/stack.js';
import type { ChildService } from '../lib/processes.js';

export interface IngestOptions {
  accounts: number;
  concurrency: number;
  bare: ChildService;
}

/** Signal-with-starts in the block that measures their whole cost. */
const COST_ACCOUNTS = 1_000;

export async function measureIngest(
  stack: LiveStack,
  { accounts, concurrency, bare }: IngestOptions
): Promise<IngestResult> {
  const { progress, runTag } = stack;
  const half = Math.max(1, Math.floor(accounts / 2));
  const warmup = Math.min(200, Math.max(10, Math.floor(accounts / 20)));

  progress(`ingest: warming up both paths (${warmup} webhooks each)`);
  await runLoad({
    count: warmup,
    concurrency,
    send: (i) => sendThroughService(stack, 'account_synced', `${runTag}-warm-svc-${i}`),
  });
  await runLoad({
    count: warmup,
    concurrency,
    send: (i) => sendDirect(stack, 'account_synced', `${runTag}-warm-direct-${i}`),
  });

  // The cost unit, before the blocks below pile up work: direct signal-with-starts metered until the worker has
  // finished their new accounts (the blocks are metered while their load runs; part of their work lands later).
  await waitForWorkers(stack);
  const costAccounts = Math.min(COST_ACCOUNTS, half);
  const costMeter = cpuMeter(stack);
  const costLoad = await runLoad({
    count: costAccounts,
    concurrency,
    send: (i) => sendDirect(stack, 'account_synced', `${runTag}-ingest-cost-${i}`),
    onProgress: loadProgress(progress, 'signal-with-start cost, direct client'),
  });
  await waitForWorkers(stack);
  const costCpu = costMeter();

  const service: LoadResult[] = [];
  const direct: LoadResult[] = [];
  const cpu = { service: [] as CpuReading[], direct: [] as CpuReading[] };
  let block = 0;
  const runBlock = async (path: 'service' | 'direct'): Promise<void> => {
    block += 1;
    const offset = path === 'service' ? service.length * half : direct.length * half;
    const label = `ingest block ${block}/4, ${path === 'service' ? 'POST /webhooks/mono' : 'direct client'}`;
    const meter = cpuMeter(stack);
    const result = await runLoad({
      count: half,
      concurrency,
      send: (i) =>
        path === 'service'
          ? sendThroughService(stack, 'account_synced', `${runTag}-ingest-svc-${offset + i}`)
          : sendDirect(stack, 'account_synced', `${runTag}-ingest-direct-${offset + i}`),
      onProgress: loadProgress(progress, label),
    });
    (path === 'service' ? service : direct).push(result);
    cpu[path].push(meter());
  };
  for (const path of ['direct', 'service', 'service', 'direct'] as const) await runBlock(path);

  const barePoster = createJsonPoster(bare.url, concurrency);
  let bareResult: LoadResult;
  try {
    const body = (i: number): string => JSON.stringify(webhookBody('account_synced', `${runTag}-bare-${i}`));
    await runLoad({
      count: warmup,
      concurrency,
      send: async (i) => void (await barePoster.post('/webhooks/mono', body(i))),
    });
    bareResult = await runLoad({
      count: half * 2,
      concurrency,
      send: async (i) => {
        const res = await barePoster.post('/webhooks/mono', body(i));
        if (res.status !== 200) throw new Error(`HTTP ${res.status}`);
      },
      onProgress: loadProgress(progress, 'ingest, bare Express route'),
    });
  } finally {
    barePoster.close();
  }

  const ours = mergeLoads(service);
  const ceiling = mergeLoads(direct);
  const throughputServiceVsDirect = ratio(ours.throughputPerSec, ceiling.throughputPerSec);
  const p99ServiceVsDirect = ratio(ours.latency.p99Ms, ceiling.latency.p99Ms);
  const servicePath = sumCpu(cpu.service);
  const directPath = sumCpu(cpu.direct);
  const perWebhook = (seconds: number | null | undefined, count: number): number | null =>
    seconds === null || seconds === undefined ? null : Math.round((seconds * 1000 * 100) / count) / 100;
  // Split: the ingress's own process. One process: what the service path cost the service beyond the direct path.
  const ingressSeconds =
    servicePath.ingress !== undefined
      ? servicePath.ingress
      : servicePath.service === null || directPath.service === null
        ? null
        : Math.max(0, servicePath.service - directPath.service);
  return {
    accounts: half * 2,
    signalWithStartAccounts: costLoad.ok,
    concurrency,
    service: withoutRaw(ours),
    directClient: withoutRaw(ceiling),
    bareExpress: withoutRaw(bareResult),
    ratios: {
      throughputServiceVsDirect,
      p99ServiceVsDirect,
      throughputServiceVsBare: ratio(ours.throughputPerSec, bareResult.throughputPerSec),
    },
    cpuSeconds: { service: servicePath, directClient: directPath, signalWithStart: costCpu },
    cpuMsPerWebhook: {
      ingress: perWebhook(ingressSeconds, ours.ok),
      directClient: perWebhook(directPath.benchClient, ceiling.ok),
      signalWithStart: perWebhook(temporalAndWorkerSeconds(costCpu), costLoad.ok),
    },
    goals: {
      throughputAtLeast90Percent: (throughputServiceVsDirect ?? 0) >= 0.9,
      p99AtMost150Percent: p99ServiceVsDirect !== null && p99ServiceVsDirect <= 1.5,
      throughputAtLeast95Percent: (throughputServiceVsDirect ?? 0) >= 0.95,
      p99AtMost120Percent: p99ServiceVsDirect !== null && p99ServiceVsDirect <= 1.2,
    },
  };
}

function sumCpu(readings: CpuReading[]): CpuReading {
  const add = (pick: (r: CpuReading) => number | null): number | null =>
    readings.some((r) => pick(r) === null) ? null : Math.round(readings.reduce((a, r) => a + pick(r)!, 0) * 100) / 100;
  return {
    temporalServer: add((r) => r.temporalServer),
    ...(readings.some((r) => 'temporalDatabase' in r)
      ? { temporalDatabase: add((r) => r.temporalDatabase ?? null) }
      : {}),
    service: add((r) => r.service),
    ...(readings.some((r) => 'worker' in r)
      ? {
          worker: add((r) => r.worker ?? null),
          ingress: add((r) => r.ingress ?? null),
          workerThreads: addThreads(readings.map((r) => r.workerThreads ?? null)),
        }
      : {}),
    benchClient: add((r) => r.benchClient) ?? 0,
  };
}
