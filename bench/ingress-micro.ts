/**
 * CPU per accepted webhook of the ingress alone (issue #16, goal 2): the real Express app from `createApp`, with the
 * hand-off to Temporal injected (it resolves at once), in a child process of its own; this process sends signed
 * `account_synced` webhooks over keep-alive connections and reads the child's CPU (its own `process.cpuUsage`, all
 * threads) around the measured requests. The logger logs at `info` to a file (default /dev/null) through sonic-boom,
 * one line per accepted webhook, as in production.
 *
 *   npx tsx bench/ingress-micro.ts [--count 20000] [--concurrency 64] [--runs 3] [--warmup 3000] [--bare] [--root dir]
 *     runs in turn, a fresh child each; --bare: Express alone (parse the body, answer 200), the HTTP floor;
 *     --root: the ingress of another checkout (its own src/), e.g. one of the commit before a change
 *   npx tsx bench/ingress-micro.ts --compare /path/to/other/checkout [--blocks 12] [--count 2000]
 *     this checkout's ingress against another's (its own src/), both children up at once and loaded in alternating
 *     blocks of --count requests: on a shared machine, a difference of a few percent shows only this way
 *   INGRESS_LOG=/tmp/ingress.log   where the children's log lines go
 *   INGRESS_PROF=/tmp/prof         the children run with --cpu-prof, profiles written there
 */
import { fork, type ChildProcess } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import express, { type Express } from 'express';
import { pino } from 'pino';
import type * as LoggerModule from '../src/lib/logger.js';
import type * as MetricsModule from '../src/lib/metrics.js';
import type * as AppModule from '../src/server/app.js';
import type * as DeliveryKeyModule from '../src/server/webhooks/delivery-key.js';
import { WEBHOOK_PATH } from '../src/server/webhooks/route.js';
import { SECRET_HEADER } from '../src/server/webhooks/verify.js';
import { createJsonPoster, runLoad, type JsonPoster } from './lib/load.js';
import { webhookBody } from './lib/stack.js';

const SECRET = 'ingress-micro-secret';
const THIS_CHECKOUT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type ToChild = { type: 'cpu' };
type FromChild = { type: 'port'; port: number } | { type: 'cpu'; microseconds: number };

/** Express reading and parsing the same body and doing nothing else (as bench/bare-server.ts): the HTTP floor. */
function bareApp(): Express {
  const app = express();
  app.post(WEBHOOK_PATH, express.json({ limit: '256kb' }), (req, res) => {
    res.status(200).json({ ok: true, event: (req.body as { event?: unknown }).event });
  });
  return app;
}

/** The ingress of the checkout at `root`, loaded from its own source files. */
async function ingressApp(root: string, logger: LoggerModule.Logger): Promise<Express> {
  const load = (file: string): Promise<unknown> => import(pathToFileURL(path.join(root, file)).href);
  const { createApp } = (await load('src/server/app.ts')) as typeof AppModule;
  const { createMetrics } = (await load('src/lib/metrics.ts')) as typeof MetricsModule;
  const { createDeliveryKey } = (await load('src/server/webhooks/delivery-key.ts')) as typeof DeliveryKeyModule;
  return createApp({
    metrics: createMetrics(),
    webhookSecrets: [SECRET],
    deliveryKey: createDeliveryKey('ingress-micro'),
    deliver: (event) =>
      Promise.resolve({ status: 'accepted', workflowId: `mono-account-${event.accountId}`, runId: 'run-1' }),
    logger,
    isReady: () => Promise.resolve(true),
  });
}

async function child(root: string, bare: boolean): Promise<void> {
  // As in production (src/lib/logger.ts): sonic-boom with asynchronous writes, to a file instead of stdout.
  const destination = pino.destination({ dest: process.env.INGRESS_LOG ?? '/dev/null', sync: false });
  const { createLogger } = (await import(
    pathToFileURL(path.join(root, 'src/lib/logger.ts')).href
  )) as typeof LoggerModule;
  const logger = createLogger('info', destination as unknown as NodeJS.WritableStream);
  const app = bare ? bareApp() : await ingressApp(root, logger);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const send = (m: FromChild): boolean => process.send!(m);
  process.on('message', (m: ToChild) => {
    if (m.type === 'cpu') {
      const { user, system } = process.cpuUsage();
      send({ type: 'cpu', microseconds: user + system });
    }
  });
  process.on('disconnect', () => {
    destination.flushSync();
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
  send({ type: 'port', port: (server.address() as AddressInfo).port });
}

function nextMessage<T extends FromChild['type']>(
  proc: ChildProcess,
  type: T
): Promise<Extract<FromChild, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: FromChild): void => {
      if (m.type !== type) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(m as Extract<FromChild, { type: T }>);
    };
    const onExit = (code: number | null): void => reject(new Error(`ingress child exited (${code})`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

interface Ingress {
  label: string;
  cpuMs(): Promise<number>;
  /** Sends `count` webhooks at `concurrency`; resolves with the load generator's throughput and p50. */
  load(count: number, tag: string): Promise<{ throughputPerSec: number; p50Ms: number }>;
  stop(): Promise<void>;
}

let sent = 0;

async function startIngress(root: string, opts: { bare: boolean; concurrency: number }): Promise<Ingress> {
  const prof = process.env.INGRESS_PROF;
  const proc = fork(fileURLToPath(import.meta.url), ['--child', '--root', root, ...(opts.bare ? ['--bare'] : [])], {
    execArgv: [...process.execArgv, ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = await nextMessage(proc, 'port');
  const poster: JsonPoster = createJsonPoster(`http://127.0.0.1:${port}`, opts.concurrency);
  const send = async (tag: string): Promise<void> => {
    const body = JSON.stringify(webhookBody('account_synced', `micro-${tag}-${sent++}`));
    const res = await poster.post(WEBHOOK_PATH, body, { [SECRET_HEADER]: SECRET });
    if (res.status !== 200 || !res.text.includes('"ok":true')) throw new Error(`HTTP ${res.status}`);
  };
  return {
    label: opts.bare ? 'bare Express' : path.relative(process.cwd(), root) || '.',
    async cpuMs() {
      const reply = nextMessage(proc, 'cpu');
      proc.send({ type: 'cpu' } satisfies ToChild);
      return (await reply).microseconds / 1000;
    },
    async load(count, tag) {
      const result = await runLoad({ count, concurrency: opts.concurrency, send: () => send(tag) });
      if (result.failed > 0) throw new Error(`failures: ${JSON.stringify(result.errors)}`);
      return { throughputPerSec: result.throughputPerSec, p50Ms: result.latency.p50Ms };
    },
    async stop() {
      poster.close();
      const exited = new Promise((resolve) => (proc.exitCode === null ? proc.once('exit', resolve) : resolve(null)));
      proc.disconnect();
      await exited;
    },
  };
}

/** CPU ms per webhook of `ingress` over `count` webhooks. */
async function measure(ingress: Ingress, count: number, tag: string) {
  const cpu0 = await ingress.cpuMs();
  const client0 = process.cpuUsage();
  const load = await ingress.load(count, tag);
  const cpu1 = await ingress.cpuMs();
  const client = process.cpuUsage(client0);
  return { ingressMs: (cpu1 - cpu0) / count, clientMs: (client.user + client.system) / 1000 / count, ...load };
}

const mean = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length;
const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function runs(
  root: string,
  opts: { runs: number; count: number; warmup: number; bare: boolean; concurrency: number }
) {
  const what = opts.bare ? 'bare Express' : path.relative(process.cwd(), root) || '.';
  console.log(
    `ingress-micro (${what}): ${opts.count} account_synced webhooks per run at concurrency ${opts.concurrency}`
  );
  const each: number[] = [];
  for (let run = 1; run <= opts.runs; run++) {
    const ingress = await startIngress(root, opts);
    try {
      await ingress.load(opts.warmup, 'warm');
      const r = await measure(ingress, opts.count, `run${run}`);
      each.push(r.ingressMs);
      console.log(
        `  run ${run}: ingress ${r.ingressMs.toFixed(3)} ms CPU/webhook, load generator ${r.clientMs.toFixed(3)} ms, ` +
          `${Math.round(r.throughputPerSec)}/s, p50 ${r.p50Ms} ms`
      );
    } finally {
      await ingress.stop();
    }
  }
  console.log(`  median ingress CPU: ${median(each).toFixed(3)} ms/webhook`);
}

async function compare(other: string, opts: { blocks: number; count: number; warmup: number; concurrency: number }) {
  const a = await startIngress(THIS_CHECKOUT, { bare: false, concurrency: opts.concurrency });
  const b = await startIngress(path.resolve(other), { bare: false, concurrency: opts.concurrency });
  console.log(
    `ingress-micro: ${a.label} (A) against ${b.label} (B), ${opts.blocks} alternating blocks of ${opts.count} ` +
      `account_synced webhooks each at concurrency ${opts.concurrency}`
  );
  try {
    await a.load(opts.warmup, 'warm-a');
    await b.load(opts.warmup, 'warm-b');
    const perBlock: Record<'A' | 'B', number[]> = { A: [], B: [] };
    for (let i = 0; i < opts.blocks; i++) {
      const order: Array<['A' | 'B', Ingress]> =
        i % 2 === 0
          ? [
              ['A', a],
              ['B', b],
            ]
          : [
              ['B', b],
              ['A', a],
            ];
      for (const [name, ingress] of order) perBlock[name].push((await measure(ingress, opts.count, name)).ingressMs);
    }
    for (const [name, ingress] of [
      ['A', a],
      ['B', b],
    ] as const) {
      const xs = perBlock[name];
      console.log(
        `  ${name} ${ingress.label}: mean ${mean(xs).toFixed(3)}, median ${median(xs).toFixed(3)} ms CPU/webhook ` +
          `(blocks: ${xs.map((x) => x.toFixed(3)).join(' ')})`
      );
    }
    const ratios = perBlock.A.map((x, i) => x / perBlock.B[i]!);
    console.log(`  A/B per block pair: median ${median(ratios).toFixed(3)}, mean ${mean(ratios).toFixed(3)}`);
  } finally {
    await Promise.all([a.stop(), b.stop()]);
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'boolean', default: false },
      root: { type: 'string', default: THIS_CHECKOUT },
      bare: { type: 'boolean', default: false },
      compare: { type: 'string' },
      count: { type: 'string' },
      concurrency: { type: 'string', default: '64' },
      runs: { type: 'string', default: '3' },
      blocks: { type: 'string', default: '12' },
      warmup: { type: 'string', default: '3000' },
    },
  });
  if (values.child) return child(values.root, values.bare);
  const common = { concurrency: Number(values.concurrency), warmup: Number(values.warmup) };
  if (values.compare !== undefined) {
    return compare(values.compare, { ...common, blocks: Number(values.blocks), count: Number(values.count ?? 2000) });
  }
  const root = path.resolve(values.root);
  return runs(root, { ...common, runs: Number(values.runs), count: Number(values.count ?? 20_000), bare: values.bare });
}

await main();
