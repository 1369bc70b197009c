/** The processes a bench run drives: the service (`src/main.ts`), the bare Express server, and /proc readings. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ChildService {
  pid: number;
  url: string;
  stop(): Promise<void>;
}

/** Runs a TypeScript entry in one plain Node process (no tsx wrapper process, so /proc readings are its own). */
function spawnTs(entry: string, env: Record<string, string>, logFile: string, nodeArgs: string[] = []): ChildProcess {
  const fd = openSync(logFile, 'a');
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', entry], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', fd, fd],
  });
}

async function untilReady(
  child: ChildProcess,
  probeUrl: string,
  logFile: string,
  timeoutMs: number,
  name: string
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with code ${child.exitCode}:\n${tail(logFile)}`);
    try {
      const res = await fetch(probeUrl, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${name} was not ready at ${probeUrl} within ${timeoutMs / 1000}s:\n${tail(logFile)}`);
    }
    await sleep(250);
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    await exited;
    clearTimeout(killer);
  };
}

/**
 * `npm start`'s entry with the given environment; resolves once `/readyz` answers 200. With `profileDir`, the
 * service writes a V8 CPU profile there when it stops (open it in Chrome DevTools or speedscope).
 */
export async function startService(
  env: Record<string, string>,
  port: number,
  logFile: string,
  profileDir?: string
): Promise<ChildService> {
  const nodeArgs = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = spawnTs('src/main.ts', { ...env, PORT: String(port), HOST: '127.0.0.1' }, logFile, nodeArgs);
  const url = `http://127.0.0.1:${port}`;
  await untilReady(child, `${url}/readyz`, logFile, 180_000, 'the service (src/main.ts)');
  return { pid: child.pid!, url, stop: stopper(child) };
}

/** The HTTP layer's ceiling: an Express route that parses the JSON body and answers 200. */
export async function startBareServer(port: number, logFile: string): Promise<ChildService> {
  const child = spawnTs('bench/bare-server.ts', { BARE_PORT: String(port) }, logFile);
  const url = `http://127.0.0.1:${port}`;
  await untilReady(child, `${url}/healthz`, logFile, 60_000, 'the bare Express server');
  return { pid: child.pid!, url, stop: stopper(child) };
}

/** The Mono sandbox simulator in its own process: to the service it is an external Mono API. */
export async function startMonoSim(port: number, secret: string, logFile: string): Promise<ChildService> {
  const child = spawnTs(
    'src/mono-sim/main.ts',
    { MONO_SIM_PORT: String(port), MONO_SIM_HOST: '127.0.0.1', MONO_WEBHOOK_SECRET: secret },
    logFile
  );
  const url = `http://127.0.0.1:${port}`;
  await untilReady(child, `${url}/_sim/calls`, logFile, 60_000, 'the Mono simulator');
  return { pid: child.pid!, url, stop: stopper(child) };
}

/** Resident memory of a process in MiB (Linux /proc), or null where /proc is unavailable. */
export function rssMiB(pid: number): number | null {
  try {
    const kb = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Math.round((Number(kb) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}

/** User + system CPU seconds a process has used so far (Linux /proc), or null. */
export function cpuSeconds(pid: number): number | null {
  try {
    return statCpuSeconds(`/proc/${pid}/stat`);
  } catch {
    return null;
  }
}

/** User + system CPU seconds in a process's or a thread's `stat` file. */
function statCpuSeconds(statFile: string): number {
  const stat = readFileSync(statFile, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the command name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** A worker process's CPU seconds by thread (Linux /proc), or null where /proc is unavailable. */
export interface ThreadCpu {
  /** Node's main thread: the SDK's activation loop, the payload codec, activities. */
  main: number;
  /** The SDK's workflow thread (a Node worker thread): workflow code, replay included, and the promise hook. */
  workflow: number;
  /** The SDK core's Rust threads (tokio, workflow-processing): gRPC, history, the workflow state machines. */
  core: number;
  /** Everything else, by difference from the process total: V8's GC and compiler threads, ended threads. */
  other: number;
}

/**
 * Threads are told apart by name and age: the core names its threads (tokio-runtime-*, workflow-processing);
 * Node's own are named "node" (Node 20) or by role (Node 24). V8's start with the process, before the core's
 * runtime, and the SDK starts its workflow thread after it (when the worker is created). libuv's pool starts on
 * first use, so on Node 20, where its threads are unnamed, their little CPU in a worker (file reads at start, DNS)
 * may count as `workflow`.
 */
export function threadCpuSeconds(pid: number): ThreadCpu | null {
  const total = cpuSeconds(pid);
  if (total === null) return null;
  const threads: Array<{ tid: number; name: string; seconds: number }> = [];
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
        threads.push({ tid: Number(tid), name, seconds: statCpuSeconds(`/proc/${pid}/task/${tid}/stat`) });
      } catch {
        // the thread ended between listing and reading
      }
    }
  } catch {
    return null;
  }
  const isCore = (name: string) => name.startsWith('tokio') || name.startsWith('workflow-proc');
  const firstCore = Math.min(...threads.filter((t) => isCore(t.name)).map((t) => t.tid));
  const split = { main: 0, workflow: 0, core: 0 };
  for (const t of threads) {
    if (t.tid === pid) split.main += t.seconds;
    else if (isCore(t.name)) split.core += t.seconds;
    else if (t.tid > firstCore && !/^(V8|libuv)/i.test(t.name)) split.workflow += t.seconds;
  }
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    main: round(split.main),
    workflow: round(split.workflow),
    core: round(split.core),
    other: round(Math.max(0, total - split.main - split.workflow - split.core)),
  };
}

/**
 * CPU seconds of a process and its children (Linux /proc): its own user + system time, the time of the children
 * it has already reaped (cutime, cstime), and the time of its live children. For PostgreSQL's postmaster that is
 * every backend's work, including the connections that have closed. Null where /proc is unavailable.
 */
export function treeCpuSeconds(pid: number): number | null {
  const read = (p: number | string): { ppid: number; seconds: number } | null => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // After the command name: ppid is field 4, utime 14, stime 15, cutime 16, cstime 17 (1-based).
      const ticks = [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
      return { ppid: Number(fields[1]), seconds: ticks / 100 };
    } catch {
      return null;
    }
  };
  const own = read(pid);
  if (!own) return null;
  let total = own.seconds;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    const child = read(entry);
    if (child?.ppid === pid) total += child.seconds;
  }
  return Math.round(total * 100) / 100;
}

/** Samples a process's RSS until stopped; reports the peak. */
export function sampleRss(pid: number, intervalMs = 250): { stop(): number | null } {
  let peak: number | null = rssMiB(pid);
  const timer = setInterval(() => {
    const now = rssMiB(pid);
    if (now !== null && (peak === null || now > peak)) peak = now;
  }, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

/** Waits until a process uses less than `share` of one core over `windowMs` (or the timeout passes). */
export async function waitForQuiet(pid: number, { share = 0.05, windowMs = 2_000, timeoutMs = 120_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const before = cpuSeconds(pid);
    await sleep(windowMs);
    const after = cpuSeconds(pid);
    if (before === null || after === null || after - before < (share * windowMs) / 1000) return;
    if (Date.now() > deadline) return;
  }
}

/** Bytes of a SQLite database with its WAL and shared-memory files. */
export function sqliteBytes(dbFile: string): number {
  return ['', '-wal', '-shm']
    .map((suffix) => dbFile + suffix)
    .filter((f) => existsSync(f))
    .reduce((sum, f) => sum + statSync(f).size, 0);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
