/**
 * Programs built from their Go module through the Go module proxy, once, and cached in ~/.cache/mono-reauth
 * (MONO_REAUTH_CACHE_DIR): Temporal's server and SQL tool (scripts/cluster/temporal-cluster.ts), Kustomize (the
 * Kubernetes manifests' test) and Jaeger (the tracing test). No other download is needed.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface GoProgram {
  /** The binary's file name. */
  name: string;
  /** The package to build, e.g. `sigs.k8s.io/kustomize/kustomize/v5`. */
  pkg: string;
  /** Its module's version, e.g. `v5.8.1`. */
  version: string;
  /**
   * Build it as a tool of a throwaway module (`go get -tool`) instead of `go install pkg@version`: needed when the
   * program's own go.mod has replace directives, which `go install` refuses.
   */
  asTool?: boolean;
  /** A folder name in the cache; several programs of one module may share it. */
  cacheName?: string;
}

export function cacheDir(): string {
  return process.env.MONO_REAUTH_CACHE_DIR ?? join(homedir(), '.cache', 'mono-reauth');
}

function goBinary(): string {
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

/** Where `program` is (or will be) cached. */
export function goProgramPath(program: GoProgram): string {
  return join(cacheDir(), program.cacheName ?? `${program.name}-${program.version}`, 'bin', program.name);
}

/** The program's path, building it first if the cache does not have it. `progress` gets a line every 30 s. */
export async function ensureGoProgram(
  program: GoProgram,
  progress: (line: string) => void = () => {}
): Promise<string> {
  const path = goProgramPath(program);
  if (existsSync(path)) return path;
  const bin = join(path, '..');
  mkdirSync(bin, { recursive: true });
  progress(`building ${program.name} ${program.version} from its Go module (once; cached in ${bin}) ...`);
  const ticker = setInterval(() => progress(`  still building ${program.name} ...`), 30_000);
  try {
    if (program.asTool) {
      const module = join(bin, '..', 'module');
      mkdirSync(module, { recursive: true });
      writeFileSync(join(module, 'go.mod'), `module build${program.name.replace(/\W/g, '')}\n\ngo 1.24\n`);
      await run(['get', '-tool', `${program.pkg}@${program.version}`], module);
      await run(['build', '-o', path, program.pkg], module);
    } else {
      await run(['install', `${program.pkg}@${program.version}`], undefined, { GOBIN: bin });
    }
  } finally {
    clearInterval(ticker);
  }
  return path;
}

function run(args: string[], cwd?: string, env: Record<string, string> = {}): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(goBinary(), args, {
      cwd,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let tail = '';
    child.stderr.on('data', (c: Buffer) => (tail = (tail + c.toString()).slice(-2_000)));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`go ${args.join(' ')} failed (exit ${String(code)}):\n${tail}`))
    );
  });
}
