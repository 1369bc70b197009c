/** A refusal guard of its own for a router mounted alone in a test (the service shares one across its surfaces). */
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createRefusalGuard, type RefusalGuard } from '../../src/server/rate-limit.js';

export function testRefusalGuard(): RefusalGuard {
  return createRefusalGuard({ metrics: createMetrics(), logger: createLogger('silent') });
}
