/**
 * A real Temporal cluster on this machine without Docker, for tests, the bench and anyone who wants to see the
 * service on the engine production runs: Temporal's own server, built from its Go module at the version
 * docker-compose.yml uses, on PostgreSQL from Debian's packages (persistence and visibility), schemas made by
 * Temporal's own SQL tool, 4 history shards, the namespace and the search attributes, and the same dynamic
 * config file as compose (docker/temporal/dynamic-config.yaml).
 *
 *   npx tsx scripts/cluster/temporal-cluster.ts up [--dir DIR]   # prints the address; Ctrl-C stops it
 *   import { startCluster } from './scripts/cluster/temporal-cluster.js'  // tests and the bench
 *
 * The build is cached in ~/.cache/mono-reauth/temporal-server-<version> (about 3 minutes the first time).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { resolveBinary } from '../../src/temporal/binaries.js';
import { answers } from '../../src/temporal/dev-server.js';
import { freePort } from '../../src/lib/free-port.js';
import { ensureGoProgram } from '../lib/go-programs.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/account-lifecycle/api/search-attributes.js';

const run = promisify(execFile);

/** The server version: the same as docker-compose.yml's (a unit test holds them together). */
export const TEMPORAL_SERVER_VERSION = '1.32.0';
export const HISTORY_SHARDS = 4;
const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const DYNAMIC_CONFIG_FILE = join(REPO, 'docker/temporal/dynamic-config.yaml');

export interface ClusterOptions {
  /** Where PostgreSQL's data, the server's config and logs go; a temp folder by default (removed on stop). */
  dir?: string;
  namespace?: string;
  /** History shards (fixed for the cluster's life); HISTORY_SHARDS, compose's count, by default. */
  historyShards?: number;
  onProgress?: (line: string) => void;
}

export interface Cluster {
  /** The frontend, `127.0.0.1:<port>`. */
  address: string;
  namespace: string;
  dir: string;
  historyShards: number;
  /** The Temporal server's process id (CPU readings). */
  serverPid(): number;
  /** PostgreSQL's postmaster process id (its backends are its children), or null while it is stopped. */
  postgresPid(): number | null;
  /** Bytes on disk of Temporal's two databases, persistence and visibility (`pg_database_size`, no WAL). */
  databaseBytes(): Promise<number>;
  /** Kills the Temporal server (all services) at once, as a crash would. */
  killServer(): Promise<void>;
  /** Starts the Temporal server again on the same ports and database. */
  startServer(): Promise<void>;
  /** Restarts PostgreSQL (fast shutdown, then start). */
  restartPostgres(): Promise<void>;
  stop(): Promise<void>;
}

type Progress = (line: string) => void;

const taken = new Set<number>();
/**
 * A free port below 32768: the server stores membership ports in a PostgreSQL smallint, and the ports the OS hands
 * out for port 0 are above that range.
 */
async function membershipPort(): Promise<number> {
  const { createServer } = await import('node:net');
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (taken.has(port)) continue;
    const free = await new Promise<boolean>((resolveFree) => {
      const probe = createServer();
      probe.once('error', () => resolveFree(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolveFree(true)));
    });
    if (free) {
      taken.add(port);
      return port;
    }
  }
  throw new Error('no free port below 32768 for the cluster membership');
}

async function timed<T>(progress: Progress, step: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  progress(`[cluster] ${step} ...`);
  const result = await fn();
  progress(`[cluster] ${step}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return result;
}

/** The server and SQL tool binaries, built from the Go module once and cached. */
export async function ensureServerBinaries(
  progress: Progress = () => undefined
): Promise<{ server: string; sql: string }> {
  const version = `v${TEMPORAL_SERVER_VERSION}`;
  const cacheName = `temporal-server-${version}`;
  const build = (name: string, pkg: string) =>
    timed(progress, `Temporal's ${name} ${version}`, () =>
      ensureGoProgram({ name, pkg, version, cacheName }, (line) => progress(`[cluster] ${line}`))
    );
  const server = await build('server', 'go.temporal.io/server/cmd/server');
  const sql = await build('sql', 'go.temporal.io/server/cmd/tools/sql');
  return { server, sql };
}

/** The Go module's folder in the module cache (config templates and SQL schemas). */
async function moduleDir(): Promise<string> {
  const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
  const { stdout } = await run(go, ['env', 'GOMODCACHE']);
  const dir = join(stdout.trim(), `go.temporal.io/server@v${TEMPORAL_SERVER_VERSION}`);
  if (!existsSync(dir)) throw new Error(`the Go module cache has no ${dir}; run the build first`);
  return dir;
}

/** PostgreSQL's server binaries from Debian's packages, installed when missing. */
async function postgresBin(progress: Progress): Promise<string> {
  const find = (): string | undefined => {
    const root = '/usr/lib/postgresql';
    if (!existsSync(root)) return undefined;
    const version = readdirSync(root)
      .sort()
      .reverse()
      .find((v) => existsSync(join(root, v, 'bin', 'initdb')));
    return version ? join(root, version, 'bin') : undefined;
  };
  const found = find();
  if (found) return found;
  await timed(progress, "installing PostgreSQL from Debian's packages", async () => {
    await run('apt-get', ['update', '-qq']);
    await run('apt-get', ['install', '-y', '-qq', 'postgresql'], {
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  });
  const installed = find();
  if (!installed) throw new Error('PostgreSQL did not install: apt-get install postgresql');
  return installed;
}

/** Runs a PostgreSQL program as the `postgres` user when we are root (PostgreSQL refuses to run as root). */
function asPostgres(program: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', program, ...args]] : [program, args];
}

export async function startCluster(options: ClusterOptions = {}): Promise<Cluster> {
  const progress = options.onProgress ?? (() => undefined);
  const namespace = options.namespace ?? 'default';
  const historyShards = options.historyShards ?? HISTORY_SHARDS;
  const ownDir = options.dir === undefined;
  const dir = resolve(options.dir ?? mkdtempSync(join(tmpdir(), 'mono-reauth-cluster-')));
  mkdirSync(dir, { recursive: true });
  const cleanups: Array<() => Promise<void>> = [];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const { server, sql } = await ensureServerBinaries(progress);
    const pgBin = await postgresBin(progress);
    const mod = await moduleDir();

    // PostgreSQL in our folder, owned by the postgres user, on a free loopback port.
    // PostgreSQL runs as the postgres user, which must be able to reach its folder: a folder of its own under the
    // system temp directory, whatever the permissions of `dir`'s parents.
    const pgRoot = mkdtempSync(join(tmpdir(), 'mono-reauth-pg-'));
    chmodSync(pgRoot, 0o755);
    cleanups.push(() => Promise.resolve(rmSync(pgRoot, { recursive: true, force: true })));
    const pgData = join(pgRoot, 'data');
    const pgPort = await freePort();
    await timed(progress, 'initdb', async () => {
      mkdirSync(pgData, { recursive: true });
      if (process.getuid?.() === 0) {
        const { stdout } = await run('id', ['-u', 'postgres']);
        const { stdout: gid } = await run('id', ['-g', 'postgres']);
        chownSync(pgData, Number(stdout.trim()), Number(gid.trim()));
      }
      const [cmd, args] = asPostgres(join(pgBin, 'initdb'), [
        '-D',
        pgData,
        '-A',
        'trust',
        '-U',
        'postgres',
        '--no-sync',
      ]);
      await run(cmd, args);
    });
    const pgCtl = async (...args: string[]): Promise<void> => {
      const [cmd, a] = asPostgres(join(pgBin, 'pg_ctl'), ['-D', pgData, ...args]);
      await run(cmd, a);
    };
    const psql = async (query: string): Promise<string> => {
      const { stdout } = await run(join(pgBin, 'psql'), [
        '-h',
        '127.0.0.1',
        '-p',
        String(pgPort),
        '-U',
        'postgres',
        '-v',
        'ON_ERROR_STOP=1',
        '-At',
        '-c',
        query,
      ]);
      return stdout.trim();
    };
    const pgStart = (): Promise<void> =>
      pgCtl(
        '-w',
        '-l',
        join(pgData, 'postgres.log'),
        '-o',
        `-p ${pgPort} -k ${pgData} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
        'start'
      );
    await timed(progress, `starting PostgreSQL on 127.0.0.1:${pgPort}`, pgStart);
    cleanups.push(() => pgCtl('-m', 'fast', '-w', 'stop'));
    await timed(progress, 'creating the temporal role', async () => {
      await psql("CREATE ROLE temporal LOGIN SUPERUSER PASSWORD 'temporal'");
    });
    await timed(progress, "creating the schemas with Temporal's SQL tool", async () => {
      const common = [
        '--plugin',
        'postgres12',
        '--ep',
        '127.0.0.1',
        '-p',
        String(pgPort),
        '-u',
        'temporal',
        '--pw',
        'temporal',
      ];
      for (const [db, schema] of [
        ['temporal', 'temporal'],
        ['temporal_visibility', 'visibility'],
      ] as const) {
        await run(sql, [...common, '--db', db, 'create-database']);
        await run(sql, [...common, '--db', db, 'setup-schema', '-v', '0.0']);
        await run(sql, [
          ...common,
          '--db',
          db,
          'update-schema',
          '-d',
          join(mod, 'schema/postgresql/v12', schema, 'versioned'),
        ]);
      }
    });

    // The module's PostgreSQL template with our ports, shard count and the compose file's dynamic config.
    const ports = {
      frontend: await freePort(),
      frontendHttp: await freePort(),
      frontendMembership: await membershipPort(),
      history: await freePort(),
      historyMembership: await membershipPort(),
      matching: await freePort(),
      matchingMembership: await membershipPort(),
      worker: await freePort(),
      workerMembership: await membershipPort(),
      pprof: await freePort(),
      metrics: await freePort(),
    };
    const configDir = join(dir, 'config');
    mkdirSync(configDir, { recursive: true });
    let config = readFileSync(join(mod, 'config/development-postgres12.yaml'), 'utf8');
    const replace = (from: RegExp, to: string): void => {
      if (!from.test(config)) throw new Error(`the server's config template changed: ${String(from)} not found`);
      config = config.replace(from, to);
    };
    replace(/connectAddr: "127\.0\.0\.1:5432"/g, `connectAddr: "127.0.0.1:${pgPort}"`);
    replace(/numHistoryShards: \d+/, `numHistoryShards: ${historyShards}`);
    replace(/port: 7936/, `port: ${ports.pprof}`);
    replace(/listenAddress: "127\.0\.0\.1:8000"/, `listenAddress: "127.0.0.1:${ports.metrics}"`);
    replace(
      /grpcPort: 7233\n(\s+)membershipPort: 6933/,
      `grpcPort: ${ports.frontend}\n$1membershipPort: ${ports.frontendMembership}`
    );
    replace(/httpPort: 7243/, `httpPort: ${ports.frontendHttp}`);
    replace(
      /grpcPort: 7235\n(\s+)membershipPort: 6935/,
      `grpcPort: ${ports.matching}\n$1membershipPort: ${ports.matchingMembership}`
    );
    replace(
      /grpcPort: 7234\n(\s+)membershipPort: 6934/,
      `grpcPort: ${ports.history}\n$1membershipPort: ${ports.historyMembership}`
    );
    replace(
      /grpcPort: 7239\n(\s+)membershipPort: 6939/,
      `grpcPort: ${ports.worker}\n$1membershipPort: ${ports.workerMembership}`
    );
    replace(/rpcAddress: "localhost:7233"/, `rpcAddress: "127.0.0.1:${ports.frontend}"`);
    replace(/filepath: "config\/dynamicconfig\/development-sql\.yaml"/, `filepath: "${DYNAMIC_CONFIG_FILE}"`);
    replace(/level: info/, 'level: warn');
    writeFileSync(join(configDir, 'development.yaml'), config);

    const address = `127.0.0.1:${ports.frontend}`;
    let serverProcess: ChildProcess | undefined;
    const serverLog = join(dir, 'temporal-server.log');
    const startServer = async (): Promise<void> => {
      const { createWriteStream } = await import('node:fs');
      const log = createWriteStream(serverLog, { flags: 'a' });
      const child = spawn(
        server,
        ['--root', dir, '--config', 'config', '--env', 'development', '--allow-no-auth', 'start'],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        }
      );
      child.stdout.pipe(log);
      child.stderr.pipe(log);
      serverProcess = child;
      const deadline = Date.now() + 120_000;
      while (!(await answers(address, 1_000))) {
        if (child.exitCode !== null)
          throw new Error(`the Temporal server exited (${child.exitCode}); see ${serverLog}`);
        if (Date.now() > deadline)
          throw new Error(`the Temporal server did not answer at ${address}; see ${serverLog}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    };
    const killServer = async (): Promise<void> => {
      const child = serverProcess;
      if (!child || child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    };
    await timed(
      progress,
      `starting Temporal server ${TEMPORAL_SERVER_VERSION} (${historyShards} history shards) at ${address}`,
      startServer
    );
    cleanups.push(async () => {
      const child = serverProcess;
      if (!child || child.exitCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await gone;
      clearTimeout(timer);
    });

    const cli = resolveBinary('cli', { onProgress: progress });
    if (cli.source === 'sdk-download')
      throw new Error('the temporal CLI is missing: run npx tsx scripts/ensure-temporal.ts');
    const temporal = (...args: string[]) => run(cli.path, [...args, '--address', address]);
    await timed(progress, `creating namespace ${namespace} and the search attributes`, async () => {
      // The services find each other for a few seconds after the frontend answers: retry until they have.
      const deadline = Date.now() + 60_000;
      for (;;) {
        try {
          await temporal('operator', 'namespace', 'create', '--namespace', namespace, '--retention', '1d');
          break;
        } catch (err) {
          if (/already/i.test(String((err as { stderr?: string }).stderr ?? err))) break;
          if (Date.now() > deadline) throw err;
          await new Promise((r) => setTimeout(r, 1_000));
        }
      }
      for (const flag of SEARCH_ATTRIBUTE_FLAGS) {
        const [name, type] = flag.split('=') as [string, string];
        await temporal(
          'operator',
          'search-attribute',
          'create',
          '--namespace',
          namespace,
          '--name',
          name,
          '--type',
          type
        );
      }
    });
    return {
      address,
      namespace,
      dir,
      historyShards,
      serverPid: () => serverProcess!.pid!,
      postgresPid: () => {
        try {
          // postmaster.pid's first line is the postmaster's process id.
          return Number(readFileSync(join(pgData, 'postmaster.pid'), 'utf8').split('\n')[0]) || null;
        } catch {
          return null;
        }
      },
      databaseBytes: async () =>
        Number(await psql("SELECT pg_database_size('temporal') + pg_database_size('temporal_visibility')")),
      killServer,
      startServer,
      restartPostgres: async () => {
        await pgCtl('-m', 'fast', '-w', 'stop');
        await pgStart();
      },
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

// CLI: `up` runs until Ctrl-C.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command = 'up', ...rest] = process.argv.slice(2);
  if (command !== 'up') {
    console.error('usage: npx tsx scripts/cluster/temporal-cluster.ts up [--dir DIR]');
    process.exit(2);
  }
  const dirIndex = rest.indexOf('--dir');
  const started = Date.now();
  const cluster = await startCluster({
    ...(dirIndex >= 0 && rest[dirIndex + 1] ? { dir: rest[dirIndex + 1] } : {}),
    onProgress: (line) => console.error(line),
  });
  console.error(`[cluster] ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`TEMPORAL_ADDRESS=${cluster.address}`);
  console.error(`Run the service against it: TEMPORAL_ADDRESS=${cluster.address} npm start. Ctrl-C stops the cluster.`);
  const shutdown = async (): Promise<void> => {
    console.error('[cluster] stopping ...');
    await cluster.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown());
  process.once('SIGTERM', () => void shutdown());
  void dirname;
}
