/**
 * How many account workflows a worker keeps cached, by default: as many as its heap holds with room to spare, at
 * most DEFAULT_CACHE_CEILING. The SDK's own default assumes about 1.7 MiB per workflow (32 workflows in a 256 MiB
 * heap); ours are measured by `npm run bench -- --only memory` (JS heap after a full collection): about 80 KiB per
 * untraced account and 650 KiB per traced one, whose workflow context loads OpenTelemetry
 * (src/workflows/tracing-interceptors.ts). The budgets below leave room for the heap's peaks between collections:
 * with 700 KiB per traced account (234 in a 256 MiB heap) the workflow thread ran out of memory in a 500-account
 * storm (`npm run bench -- --only tracing`).
 */
export const HEAP_KIB_PER_CACHED_WORKFLOW = { untraced: 100, traced: 1_400 } as const;

/** Heap kept free of cached workflows: the bundle, the SDK's own state and activations in flight. */
export const RESERVED_HEAP_MIB = 96;

/** A larger cache saves little: an evicted account is replayed from its short history on its next event. */
export const DEFAULT_CACHE_CEILING = 500;

const MIN_CACHE = 10;

export interface CacheSizing {
  maxCachedWorkflows: number;
  /** The heap the cache may need at its size, in MiB, beside the heap limit. */
  neededHeapMiB: number;
  heapLimitMiB: number;
  /** True when a configured size needs more heap than the limit leaves (the worker may run out of memory). */
  overHeap: boolean;
}

/** The cache size for a heap of `heapLimitMiB`: `configured` when set, otherwise what the heap holds. */
export function sizeWorkflowCache(heapLimitMiB: number, traced: boolean, configured?: number): CacheSizing {
  const perKiB = traced ? HEAP_KIB_PER_CACHED_WORKFLOW.traced : HEAP_KIB_PER_CACHED_WORKFLOW.untraced;
  const room = Math.max(heapLimitMiB - RESERVED_HEAP_MIB, 0);
  const fits = Math.floor((room * 1024) / perKiB);
  const maxCachedWorkflows = configured ?? Math.max(MIN_CACHE, Math.min(DEFAULT_CACHE_CEILING, fits));
  const neededHeapMiB = Math.ceil((maxCachedWorkflows * perKiB) / 1024) + RESERVED_HEAP_MIB;
  return {
    maxCachedWorkflows,
    neededHeapMiB,
    heapLimitMiB: Math.round(heapLimitMiB),
    overHeap: maxCachedWorkflows > fits,
  };
}
