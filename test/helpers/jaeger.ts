/**
 * A real Jaeger (built from its Go module once and cached, scripts/lib/go-programs.ts) on free loopback ports, with
 * in-memory storage: OTLP over gRPC and HTTP in, its query API out. The binary built from the module serves the
 * query API; its web UI's assets are not in the module (Jaeger builds them separately), so its UI is a placeholder.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureGoProgram } from '../../scripts/lib/go-programs.js';
import { freePort } from './ports.js';

export const JAEGER = {
  name: 'jaeger',
  pkg: 'github.com/jaegertracing/jaeger/cmd/jaeger',
  version: 'v1.75.0',
  asTool: true,
};

export interface Jaeger {
  otlpGrpc: string;
  otlpHttp: string;
  queryUrl: string;
  stop(): Promise<void>;
}

export async function startJaeger(): Promise<Jaeger> {
  const binary = await ensureGoProgram(JAEGER, (line) => console.error(line));
  const [grpc, http, query, queryGrpc] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const config = join(mkdtempSync(join(tmpdir(), 'jaeger-')), 'config.yaml');
  writeFileSync(
    config,
    `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: 127.0.0.1:${query}
    grpc:
      endpoint: 127.0.0.1:${queryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 10000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:${grpc}
      http:
        endpoint: 127.0.0.1:${http}
processors:
  batch:
    timeout: 100ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`
  );
  const child = spawn(binary, ['--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4_000)));
  const queryUrl = `http://127.0.0.1:${query}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${queryUrl}/api/services`).then(
      (r) => r.ok,
      () => false
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`Jaeger did not start:\n${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    otlpGrpc: `http://127.0.0.1:${grpc}`,
    otlpHttp: `http://127.0.0.1:${http}`,
    queryUrl,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
