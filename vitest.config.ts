import { configDefaults, defineConfig } from 'vitest/config';

// Temporal workers start native threads and a Rust runtime: one process per test file, one file at a time
// (2-core CI), generous timeouts for real servers. Integration files share one dev server (global setup).
export default defineConfig({
  test: {
    environment: 'node',
    pool: 'forks',
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    teardownTimeout: 30_000,
    globalSetup: ['test/helpers/global-setup.ts'],
    include: ['test/**/*.test.ts'],
    // Temporal's own server with PostgreSQL: `npm run test:cluster` (vitest.cluster.config.ts) runs these.
    exclude: [...configDefaults.exclude, 'test/cluster/**'],
    // The JSON report lets .ci/run print a plain "N passed, N failed" line (TEST_REPORT_FILE: another file).
    reporters: ['default', ['json', { outputFile: process.env.TEST_REPORT_FILE ?? '.data/test-results.json' }]],
  },
});
