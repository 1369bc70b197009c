/** The summary table `npm run bench` prints. */
import type { BenchResults, CpuSplit, LoadSummaryT } from './results.js';

const pad = (cells: string[], widths: number[]): string =>
  cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [pad(header, widths), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map((r) => pad(r, widths))].join(
    '\n'
  );
}

const ok = (met: boolean): string => (met ? 'met' : 'NOT MET');
const fmt = (x: number | null | undefined, digits = 2): string =>
  x === null || x === undefined ? 'n/a' : x.toFixed(digits);
const loadRow = (name: string, l: LoadSummaryT): string[] => [
  name,
  `${l.ok}/${l.requests}`,
  fmt(l.throughputPerSec, 0),
  fmt(l.latency.p50Ms, 1),
  fmt(l.latency.p95Ms, 1),
  fmt(l.latency.p99Ms, 1),
];

export function formatSummary(r: BenchResults): string {
  const layout = r.options.split === false ? 'one process' : 'ingress and worker processes (SERVICE_ROLE)';
  const out: string[] = [
    `mono-reauth bench, ${r.machine.cpus} CPUs, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}; service as ${layout}`,
  ];
  if (r.ingest) {
    const i = r.ingest;
    out.push(
      '',
      `Ingest: ${i.accounts} account_synced webhooks per path, concurrency ${i.concurrency}`,
      table(
        ['path', 'ok', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms'],
        [
          loadRow('POST /webhooks/mono (service)', i.service),
          loadRow('direct signal-with-start', i.directClient),
          loadRow('bare Express route', i.bareExpress),
        ]
      ),
      `throughput service/direct ${fmt(i.ratios.throughputServiceVsDirect, 3)} (goal >= 0.9: ${ok(i.goals.throughputAtLeast90Percent)}), ` +
        `p99 service/direct ${fmt(i.ratios.p99ServiceVsDirect, 3)} (goal <= 1.5: ${ok(i.goals.p99AtMost150Percent)}), ` +
        `throughput service/bare ${fmt(i.ratios.throughputServiceVsBare, 3)}`,
      `CPU seconds (Temporal server / service / bench client): service path ${cpu(i.cpuSeconds.service)}, direct path ${cpu(i.cpuSeconds.directClient)}`,
      ...perWebhookLines(i)
    );
  }
  if (r.storm) {
    const s = r.storm;
    out.push(
      '',
      `Midnight storm and scale: ${s.accounts} accounts, concurrency ${s.concurrency}, worker cache ${s.scale.maxCachedWorkflows} workflows`,
      table(
        ['phase', 'ok', 'req/s', 'p50 ms', 'p95 ms', 'p99 ms'],
        [loadRow('create accounts (webhooks)', s.create.load), loadRow('storm: account_synced', s.storm.load)]
      ),
      `created and visible in ${fmt(s.create.untilVisibleMs / 1000, 1)} s; storm ingested in ${fmt(s.storm.ingestMs / 1000, 1)} s, ` +
        `all synced in visibility after ${s.storm.processedMs === null ? 'never' : `${fmt(s.storm.processedMs / 1000, 1)} s`}`,
      `processed/ingest ${fmt(s.storm.processedVsIngest, 3)} (goal <= 1.25: ${ok(s.goals.processedWithin125Percent)}); ` +
        `missing ${s.storm.missing} (goal 0: ${ok(s.goals.noneMissing)})`,
      `worker RSS MiB: before ${fmt(s.scale.workerRssMiB.beforeAccounts, 0)}, at rest ${fmt(s.scale.workerRssMiB.atRest, 0)}, ` +
        `storm peak ${fmt(s.scale.workerRssMiB.peakDuringStorm, 0)} (goal <= 512: ${ok(s.goals.rssAtMost512MiB)}); ` +
        `Temporal DB ${mib(s.scale.temporalDbBytes.afterCreate)} MiB after create, ${mib(s.scale.temporalDbBytes.afterStorm)} MiB after storm`,
      `CPU seconds (Temporal server / service / bench client): create ${cpu(s.create.cpuSeconds)}, storm ${cpu(s.storm.cpuSeconds)}`,
      ...stormCostLines(s)
    );
  }
  if (r.recoveryCost) out.push(recoveryLine(r.recoveryCost));
  if (r.cluster) {
    const c = r.cluster;
    out.push('', `On ${c.server}, ${c.historyShards} history shards (same run):`);
    if (c.ingest) {
      const i = c.ingest;
      out.push(
        `  ingest: service ${fmt(i.service.throughputPerSec, 0)} req/s (p99 ${fmt(i.service.latency.p99Ms, 1)} ms), ` +
          `direct ${fmt(i.directClient.throughputPerSec, 0)} req/s (p99 ${fmt(i.directClient.latency.p99Ms, 1)} ms); ` +
          `throughput service/direct ${fmt(i.ratios.throughputServiceVsDirect, 3)} (goal >= 0.9: ${ok(i.goals.throughputAtLeast90Percent)}), ` +
          `p99 service/direct ${fmt(i.ratios.p99ServiceVsDirect, 3)} (goal <= 1.5: ${ok(i.goals.p99AtMost150Percent)})`,
        `  ingest CPU seconds (Temporal server / PostgreSQL / service / bench client): ` +
          `service path ${clusterCpu(i.cpuSeconds.service)}, direct path ${clusterCpu(i.cpuSeconds.directClient)}`
      );
    }
    if (c.storm) {
      const s = c.storm;
      out.push(
        `  storm: ${s.accounts} accounts ingested in ${fmt(s.storm.ingestMs / 1000, 1)} s, all synced after ` +
          `${s.storm.processedMs === null ? 'never' : `${fmt(s.storm.processedMs / 1000, 1)} s`} ` +
          `(processed/ingest ${fmt(s.storm.processedVsIngest, 3)}, goal <= 1.25: ${ok(s.goals.processedWithin125Percent)}), ` +
          `missing ${s.storm.missing} (goal 0: ${ok(s.goals.noneMissing)})`,
        `  storm: created and visible in ${fmt(s.create.untilVisibleMs / 1000, 1)} s; worker RSS MiB: before ` +
          `${fmt(s.scale.workerRssMiB.beforeAccounts, 0)}, at rest ${fmt(s.scale.workerRssMiB.atRest, 0)}, storm peak ` +
          `${fmt(s.scale.workerRssMiB.peakDuringStorm, 0)}; PostgreSQL ${mib(s.scale.temporalDbBytes.afterCreate)} MiB ` +
          `after create, ${mib(s.scale.temporalDbBytes.afterStorm)} MiB after storm`,
        `  storm CPU seconds (Temporal server / PostgreSQL / service / bench client): create ${clusterCpu(s.create.cpuSeconds)}, ` +
          `storm ${clusterCpu(s.storm.cpuSeconds)}`,
        ...stormCostLines(s).map((line) => `  ${line}`)
      );
    }
    if (c.ingest) out.push(...perWebhookLines(c.ingest).map((line) => `  ${line}`));
    if (c.recoveryCost) out.push(`  ${recoveryLine(c.recoveryCost)}`);
  }
  if (r.history) {
    const h = r.history;
    out.push(
      '',
      `History bound: ${h.days} simulated days, ${h.reauthCycles} re-auth cycles, budget ${h.historyEventsPerRun} events per run`,
      `runs ${h.runs.length} (events: ${h.runs.map((x) => x.events).join(', ')}), most events in a run ${h.maxEventsPerRun} (goal <= 2000: ${ok(h.goals.eventsAtMost2000)}), ` +
        `largest carried state ${h.maxCarriedBytes} bytes (goal <= 32768: ${ok(h.goals.carriedAtMost32KiB)}), final state ${h.finalState ?? 'none'}, ` +
        `${fmt(h.wallMs / 1000, 1)} s`
    );
  }
  if (r.tracing) {
    const t = r.tracing;
    out.push(
      '',
      `Tracing: the storm of ${t.accounts} accounts with tracing off, then on (OTLP/HTTP, every trace sampled)`,
      `CPU ms per recovery (Temporal side + service): off ${fmt(t.off.cpuMsPerAccount)}, on ${fmt(t.on.cpuMsPerAccount)}, ` +
        `ratio ${fmt(t.cpuRatio, 3)}; processed in ${fmt((t.off.processedMs ?? 0) / 1000, 1)} s off, ` +
        `${fmt((t.on.processedMs ?? 0) / 1000, 1)} s on (ratio ${fmt(t.processedRatio, 3)}); ` +
        `${t.on.exportRequests} exports, ${fmt(t.on.exportedKiB, 0)} KiB`
    );
  }
  if (r.memory) {
    const m = r.memory;
    out.push(
      '',
      `Memory: ${m.accounts} accounts waiting for re-authorisation, all cached, untraced then traced`,
      `JS heap per cached workflow after a full collection: untraced ${m.heapKiBPerCachedWorkflow.untraced} KiB ` +
        `(goal <= 150: ${ok(m.goals.untracedAtMost150KiB)}), traced ${m.heapKiBPerCachedWorkflow.traced} KiB; ` +
        `RSS ${m.rssKiBPerCachedWorkflow.untraced} and ${m.rssKiBPerCachedWorkflow.traced} KiB`,
      `Promises in workflow code: ${m.promises.perNewAccount} per new account (${m.promises.workflowTasksPerNewAccount} workflow tasks), ` +
        `${m.promises.perRecovery} per recovery with replay (${m.promises.workflowTasksPerRecovery} tasks), ` +
        `${m.promises.perCachedRecovery} from the cache; ${m.promises.meanFramesPerStack} frames per stack`,
      `Worker CPU ms per account, workflow thread / core threads: new ${m.workerCpuMs.newAccount.workflow} / ${m.workerCpuMs.newAccount.core}, ` +
        `recovery from the cache ${m.workerCpuMs.cachedRecovery.workflow} / ${m.workerCpuMs.cachedRecovery.core}, ` +
        `replayed ${m.workerCpuMs.replayedRecovery.workflow} / ${m.workerCpuMs.replayedRecovery.core} (replay adds ${m.workerCpuMs.replay})`,
      `Payload codec on a replayed history: ${m.codec.payloadsPerHistory} payloads, ${m.codec.bytesPerHistory} bytes, ` +
        `decoded in ${m.codec.decodeMsPerHistory} ms, encoded in ${m.codec.encodeMsPerHistory} ms`
    );
  }
  if (r.workers) {
    const w = r.workers;
    const side = (x: typeof w.one) =>
      `${x.workers}: ingested in ${fmt(x.ingestMs / 1000, 1)} s, all synced after ${fmt((x.processedMs ?? 0) / 1000, 1)} s ` +
      `(×${fmt(x.processedVsIngest, 3)}), ${fmt(x.cpuMsPerAccount)} CPU ms per account, ${x.missing} missing`;
    out.push(
      '',
      `Worker processes, ${w.accounts}-account storm on the ${w.engine === 'cluster' ? 'cluster' : 'dev server'}`,
      `workers ${side(w.one)}`,
      `workers ${side(w.two)}`,
      `two workers' processing time over one's: ${fmt(w.processedRatio, 3)}`
    );
  }
  if (r.import) {
    const i = r.import;
    out.push(
      '',
      `Import: ${i.accounts} account ids at MONO_MAX_RPS=${i.maxRps}`,
      `submitted in ${fmt(i.submit.ms / 1000, 1)} s (${fmt(i.submit.perSecond, 0)} ids/s); all ${i.enrolled} enrolled after ` +
        `${i.enrolledMs === null ? 'never' : `${fmt(i.enrolledMs / 1000, 1)} s`} (goal all: ${ok(i.goals.allEnrolled)})`,
      `Mono requests ${i.mono.requests} (${fmt(i.mono.requestsPerAccount)} per account) over ${i.mono.busySeconds} s: ` +
        `busiest second ${i.mono.maxRequestsPerSecond}, mean ${fmt(i.mono.meanRequestsPerSecond)}/s ` +
        `(goal never above ${i.maxRps}: ${ok(i.goals.neverAboveLimit)}` +
        `${i.mono.secondsAboveLimit ? `; ${i.mono.secondsAboveLimit} seconds above` : ''})`
    );
  }
  return out.join('\n');
}

function perWebhookLines(i: NonNullable<BenchResults['ingest']>): string[] {
  const c = i.cpuMsPerWebhook;
  if (!c) return [];
  return [
    `CPU ms per webhook: ingress ${fmt(c.ingress)}, direct client ${fmt(c.directClient)}; ` +
      `Temporal side + worker per signal-with-start ${fmt(c.signalWithStart)}; ` +
      `goals throughput >= 0.95: ${ok(i.goals.throughputAtLeast95Percent ?? false)}, p99 <= 1.2: ${ok(i.goals.p99AtMost120Percent ?? false)}`,
  ];
}

function stormCostLines(s: NonNullable<BenchResults['storm']>): string[] {
  const h = s.storm.history;
  return [
    `per recovered account: ${fmt(s.storm.cpuMsPerAccount)} CPU ms (Temporal side + worker)` +
      (h
        ? `; ${fmt(h.events, 1)} events, ${fmt(h.workflowTasks, 1)} workflow tasks, ${fmt(h.activityTasks, 1)} activity tasks ` +
          `(${fmt(h.eventsBefore, 1)} events before it, replayed if evicted; ${h.sampled} sampled)`
        : '') +
      `; processed/ingest <= 2.5: ${ok(s.goals.processedWithin250Percent ?? false)}`,
    `memory per cached workflow ${fmt(s.scale.perCachedWorkflowKiB, 1)} KiB (goal <= 100: ${ok(s.goals.perCachedWorkflowAtMost100KiB ?? false)})`,
  ];
}

function recoveryLine(c: NonNullable<BenchResults['recoveryCost']>): string {
  const line =
    `Cost of a recovered account: ${fmt(c.stormMsPerAccount)} ms against ${fmt(c.signalWithStartMs)} ms per ` +
    `signal-with-start, ratio ${fmt(c.ratio, 3)} (goal <= 2: ${ok(c.goalAtMost2)})`;
  if (!c.split) return line;
  return [
    line,
    splitLine('  per signal-with-start', c.split.signalWithStart),
    splitLine('  per recovery', c.split.recovery),
  ].join('\n');
}

function splitLine(label: string, s: CpuSplit | null): string {
  if (!s) return `${label}: no thread reading`;
  const db = s.temporalDatabase !== undefined ? `, PostgreSQL ${fmt(s.temporalDatabase)}` : '';
  return (
    `${label} (ms): server ${fmt(s.temporalServer)}${db}; worker main ${fmt(s.workerMain)}, ` +
    `workflow ${fmt(s.workerWorkflow)}, core ${fmt(s.workerCore)}, other ${fmt(s.workerOther)}`
  );
}

const mib = (bytes: number): string => (bytes / 2 ** 20).toFixed(1);
const cpu = (c: { temporalServer: number | null; service: number | null; benchClient: number }): string =>
  `${fmt(c.temporalServer, 1)} / ${fmt(c.service, 1)} / ${fmt(c.benchClient, 1)}`;
const clusterCpu = (c: {
  temporalServer: number | null;
  temporalDatabase?: number | null | undefined;
  service: number | null;
  benchClient: number;
}): string =>
  `${fmt(c.temporalServer, 1)} / ${fmt(c.temporalDatabase, 1)} / ${fmt(c.service, 1)} / ${fmt(c.benchClient, 1)}`;
