/**
 * The worker's build id. Unless TEMPORAL_WORKER_BUILD_ID names one (Temporal's Worker Controller injects it on
 * Kubernetes), it is the package version and a digest of the workflow bundle, so changed workflow code (ours or the
 * SDK's) never silently shares a build id with the code its running workflows were recorded on.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * `1.0.0+3f2a9c1b7d4e`: the version, then the first 12 hex digits of the SHA-256 of the bundle's code. The inline
 * source map is left out: it names the files by their absolute paths, so the same code built in another folder
 * would otherwise get another id.
 */
export function defaultBuildId(version: string, bundleCode: string): string {
  const code = bundleCode.replace(/\n\/\/# sourceMappingURL=[^\n]*\s*$/, '');
  return `${version}+${createHash('sha256').update(code).digest('hex').slice(0, 12)}`;
}

/** The `version` of this project's package.json. */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
