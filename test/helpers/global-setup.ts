/**
 * Starts one real Temporal dev server (in memory, headless, free port) for every integration test file, with
 * the project's search attributes registered exactly as `npm start` does it.
 */
import type { TestProject } from 'vitest/node';
import { resolveBinary } from '../../src/temporal/binaries.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { freePort } from './ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalCliPath: string;
    temporalTestServerPath: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = resolveBinary('cli', { onProgress: (m) => console.error(m) });
  const testServer = resolveBinary('test-server', { onProgress: (m) => console.error(m) });
  if (cli.source === 'sdk-download' || testServer.source === 'sdk-download') {
    throw new Error('Temporal binaries are missing: run `npm test` (its pretest step installs them) or see README');
  }
  const server = await startDevServer({
    cliPath: cli.path,
    host: '127.0.0.1',
    port: await freePort(),
    // A build that stopped being current is checked for open pinned runs within seconds rather than minutes, so
    // the worker-versioning test can see it drain.
    extraArgs: [
      '--dynamic-config-value',
      'matching.wv.VersionDrainageStatusVisibilityGracePeriod="5s"',
      '--dynamic-config-value',
      'matching.wv.VersionDrainageStatusRefreshInterval="2s"',
    ],
  });
  project.provide('temporalAddress', server.address);
  project.provide('temporalCliPath', cli.path);
  project.provide('temporalTestServerPath', testServer.path);
  return () => server.stop();
}
