import { describe, expect, it } from 'vitest';
import { DEFAULT_CACHE_CEILING, sizeWorkflowCache } from '../../src/lib/workflow-cache.js';

describe('the workflow cache sized by heap', () => {
  it('keeps the ceiling untraced in the image’s 256 MiB heap', () => {
    expect(sizeWorkflowCache(256, false)).toMatchObject({ maxCachedWorkflows: DEFAULT_CACHE_CEILING, overHeap: false });
  });

  it('shrinks to what the heap holds when traced runs load OpenTelemetry', () => {
    const sizing = sizeWorkflowCache(256, true);
    expect(sizing.maxCachedWorkflows).toBe(117);
    expect(sizing.neededHeapMiB).toBeLessThanOrEqual(256);
    expect(sizing.overHeap).toBe(false);
  });

  it('grows with the heap, up to the ceiling', () => {
    expect(sizeWorkflowCache(384, true).maxCachedWorkflows).toBe(210);
    expect(sizeWorkflowCache(4096, true).maxCachedWorkflows).toBe(DEFAULT_CACHE_CEILING);
  });

  it('never goes below ten, even in a tiny heap', () => {
    expect(sizeWorkflowCache(64, true).maxCachedWorkflows).toBe(10);
  });

  it('takes a configured size as given and says when the heap cannot hold it', () => {
    expect(sizeWorkflowCache(256, true, 500)).toMatchObject({
      maxCachedWorkflows: 500,
      overHeap: true,
      neededHeapMiB: 780,
    });
    expect(sizeWorkflowCache(256, false, 500)).toMatchObject({ maxCachedWorkflows: 500, overHeap: false });
  });
});
