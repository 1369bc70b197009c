/**
 * Global setup of `npm run test:cluster`: one real Temporal cluster (Temporal's own server on PostgreSQL, see
 * scripts/cluster/temporal-cluster.ts) for the integration files that run against it, provided to them exactly as
 * the dev server is in `npm test`.
 */
import type { TestProject } from 'vitest/node';
import { startCluster } from '../../scripts/cluster/temporal-cluster.js';
import { resolveBinary } from '../../src/temporal/binaries.js';

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const cli = resolveBinary('cli', { onProgress: (m) => console.error(m) });
  const testServer = resolveBinary('test-server', { onProgress: (m) => console.error(m) });
  if (cli.source === 'sdk-download' || testServer.source === 'sdk-download') {
    throw new Error('Temporal binaries are missing: run `npx tsx scripts/ensure-temporal.ts` first');
  }
  const cluster = await startCluster({ onProgress: (line) => console.error(line) });
  project.provide('temporalAddress', cluster.address);
  project.provide('temporalCliPath', cli.path);
  project.provide('temporalTestServerPath', testServer.path);
  return () => cluster.stop();
}
