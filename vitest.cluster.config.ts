import { defineConfig } from 'vitest/config';

// `npm run test:cluster`: the lifecycle, operator and outage tests on Temporal's own server with PostgreSQL
// (scripts/cluster/temporal-cluster.ts) instead of the dev server. Same process model as vitest.config.ts.
export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 240_000,
    teardownTimeout: 60_000,
    globalSetup: ['test/helpers/cluster-setup.ts'],
    include: [
      'test/integration/lifecycle.test.ts',
      'test/integration/ingress.test.ts',
      'test/integration/admin-api.test.ts',
      'test/integration/cli.test.ts',
      'test/integration/reauth-page.test.ts',
      'test/cluster/**/*.test.ts',
    ],
    reporters: ['default', ['json', { outputFile: '.data/test-results-cluster.json' }]],
  },
});
