/**
 * Starts `temporal server start-dev` as a child process: SQLite file (accounts survive restarts), Web UI,
 * the project's search attributes registered at boot. Used by `npm start`, the tests and the bench. It has no
 * authentication, so it and its Web UI listen on a loopback address only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Connection } from '@temporalio/client';
import { isLoopbackHost } from '../lib/exposure.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/account-lifecycle/api/search-attributes.js';

export interface DevServerOptions {
  cliPath: string;
  /** A loopback address (localhost, 127.x.x.x, ::1); anything else is refused. */
  host: string;
  port: number;
  namespace?: string;
  /** SQLite file; omit for an in-memory server. */
  dbFile?: string;
  /** Web UI port; omit for a headless server. */
  uiPort?: number;
  /** Where the server's own log goes (appended); omit to discard it. */
  logFile?: string;
  extraArgs?: string[];
  /** Start without the service's search attributes (tests of the start-up check). */
  withoutSearchAttributes?: boolean;
  readyTimeoutMs?: number;
  onProgress?: (message: string) => void;
}

export interface DevServer {
  address: string;
  uiUrl: string | undefined;
  process: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after a grace period). */
  stop(): Promise<void>;
}

export function devServerArgs(o: DevServerOptions): string[] {
  if (!isLoopbackHost(o.host)) {
    throw new Error(
      `the Temporal dev server listens on this machine only, and ${o.host} is not a loopback address: use localhost or 127.0.0.1`
    );
  }
  return [
    'server',
    'start-dev',
    '--ip',
    o.host,
    '--port',
    String(o.port),
    '--namespace',
    o.namespace ?? 'default',
    ...(o.uiPort ? ['--ui-ip', o.host, '--ui-port', String(o.uiPort)] : ['--headless']),
    ...(o.dbFile ? ['--db-filename', o.dbFile, '--sqlite-pragma', 'journal_mode=WAL'] : []),
    '--log-level',
    'warn',
    '--log-format',
    'json',
    ...(o.withoutSearchAttributes ? [] : SEARCH_ATTRIBUTE_FLAGS.flatMap((flag) => ['--search-attribute', flag])),
    // The server hands an activity to the worker in its reply to the workflow task that scheduled it, saving a
    // round of task matching per notice and lookup (about 15-20% of the server's CPU in `npm run bench`).
    '--dynamic-config-value',
    'system.enableActivityEagerExecution=true',
    ...(o.extraArgs ?? []),
  ];
}

export async function startDevServer(o: DevServerOptions): Promise<DevServer> {
  const args = devServerArgs(o);
  const address = `${o.host}:${o.port}`;
  if (o.dbFile) mkdirSync(dirname(o.dbFile), { recursive: true });
  // Its own process group: a terminal's Ctrl-C reaches only us, and we stop the server after the worker.
  const child = spawn(o.cliPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail: string[] = [];
  const logStream = o.logFile
    ? (mkdirSync(dirname(o.logFile), { recursive: true }), createWriteStream(o.logFile, { flags: 'a' }))
    : undefined;
  const collect = (chunk: Buffer): void => {
    logStream?.write(chunk);
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 20));
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited: number | null | undefined;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      logStream?.end();
      resolve();
    })
  );

  const stop = async (): Promise<void> => {
    if (exited !== undefined) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exitPromise;
    clearTimeout(killer);
  };

  const deadline = Date.now() + (o.readyTimeoutMs ?? 60_000);
  let lastReport = Date.now();
  for (;;) {
    if (exited !== undefined) {
      throw new Error(
        `Temporal dev server exited with code ${String(exited)} before it was ready:\n${tail.join('\n')}`
      );
    }
    if (await answers(address)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`Temporal dev server did not answer at ${address} in time:\n${tail.join('\n')}`);
    }
    if (Date.now() - lastReport > 5_000) {
      o.onProgress?.(`still waiting for the Temporal dev server at ${address} ...`);
      lastReport = Date.now();
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    address,
    uiUrl: o.uiPort ? `http://${o.host}:${o.uiPort}` : undefined,
    process: child,
    stop,
  };
}

/** True when a Temporal frontend answers at `address` within about a second. */
export async function answers(address: string, timeoutMs = 1_000): Promise<boolean> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ address, connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, () => connection!.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  } finally {
    await connection?.close().catch(() => undefined);
  }
}
