/** A closed-loop load generator: `concurrency` senders share `count` requests and time each one. */
import http from 'node:http';
import { round, summarizeLatencies, type LatencySummary } from './stats.js';

export interface LoadResult {
  requests: number;
  ok: number;
  failed: number;
  /** Failure messages (HTTP status or error text) and how often each happened. */
  errors: Record<string, number>;
  durationMs: number;
  throughputPerSec: number;
  latency: LatencySummary;
  /** Raw latencies, kept so that interleaved blocks can be merged; dropped from the written results. */
  latenciesMs: number[];
}

export interface LoadOptions {
  count: number;
  concurrency: number;
  /** Sends request `i`; resolves on success, rejects (with the reason) on failure. */
  send: (i: number) => Promise<void>;
  onProgress?: (done: number, total: number) => void;
}

export async function runLoad({ count, concurrency, send, onProgress }: LoadOptions): Promise<LoadResult> {
  const latenciesMs: number[] = [];
  const errors: Record<string, number> = {};
  let next = 0;
  let done = 0;
  let failed = 0;
  const started = performance.now();
  const progress = setInterval(() => onProgress?.(done, count), 1_000);
  const sender = async (): Promise<void> => {
    for (let i = next++; i < count; i = next++) {
      const t0 = performance.now();
      try {
        await send(i);
        latenciesMs.push(performance.now() - t0);
      } catch (err) {
        failed += 1;
        const key = (err instanceof Error ? err.message : String(err)).slice(0, 120);
        errors[key] = (errors[key] ?? 0) + 1;
      }
      done += 1;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, sender));
  } finally {
    clearInterval(progress);
  }
  const durationMs = performance.now() - started;
  onProgress?.(done, count);
  return finish({ requests: count, failed, errors, durationMs, latenciesMs });
}

/** Merges blocks of one kind measured at different times (e.g. ABBA interleaving) into one result. */
export function mergeLoads(parts: readonly LoadResult[]): LoadResult {
  const errors: Record<string, number> = {};
  for (const part of parts) for (const [k, v] of Object.entries(part.errors)) errors[k] = (errors[k] ?? 0) + v;
  return finish({
    requests: parts.reduce((a, p) => a + p.requests, 0),
    failed: parts.reduce((a, p) => a + p.failed, 0),
    errors,
    durationMs: parts.reduce((a, p) => a + p.durationMs, 0),
    latenciesMs: parts.flatMap((p) => p.latenciesMs),
  });
}

/** A result as written to bench/results: without the raw latencies. */
export function withoutRaw({ latenciesMs: _raw, ...rest }: LoadResult): Omit<LoadResult, 'latenciesMs'> {
  return rest;
}

function finish(r: Pick<LoadResult, 'requests' | 'failed' | 'errors' | 'durationMs' | 'latenciesMs'>): LoadResult {
  const ok = r.requests - r.failed;
  return {
    ...r,
    ok,
    durationMs: round(r.durationMs),
    throughputPerSec: round(r.durationMs > 0 ? (ok * 1000) / r.durationMs : 0),
    latency: summarizeLatencies(r.latenciesMs),
  };
}

export interface JsonPoster {
  /** POSTs `body`; resolves with the status and response text. */
  post(path: string, body: string, headers?: Record<string, string>): Promise<{ status: number; text: string }>;
  close(): void;
}

/** HTTP/1.1 with keep-alive and one socket per sender, like a webhook sender's connection pool. */
export function createJsonPoster(baseUrl: string, maxSockets: number): JsonPoster {
  const url = new URL(baseUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  return {
    post: (path, body, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = http.request(
          {
            host: url.hostname,
            port: url.port,
            path,
            method: 'POST',
            agent,
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
            res.on('error', reject);
          }
        );
        req.on('error', reject);
        req.end(body);
      }),
    close: () => agent.destroy(),
  };
}
