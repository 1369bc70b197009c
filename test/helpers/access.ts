/** Access for a router mounted alone in a test: tokens by role and a refusal guard of its own. */
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { JobNotFound, type Jobs } from '../../src/jobs/client.js';
import type { AccessTokens } from '../../src/server/access.js';
import { createRefusalGuard, type RefusalGuard } from '../../src/server/rate-limit.js';

export function testRefusalGuard(): RefusalGuard {
  return createRefusalGuard({ metrics: createMetrics(), logger: createLogger('silent') });
}

/** Tokens by role; roles not given have none. */
export function tokensFor(tokens: Partial<Record<keyof AccessTokens, string[]>>): AccessTokens {
  return { operator: [], integration: [], codec: [], ...tokens };
}

/** Jobs for apps whose tests never reach them: every call fails as an unknown job (404). */
export const unusedJobs: Jobs = {
  start: () => Promise.reject(new JobNotFound('none')),
  get: (jobId) => Promise.reject(new JobNotFound(jobId)),
  list: () => Promise.resolve([]),
  cancel: (jobId) => Promise.reject(new JobNotFound(jobId)),
};
