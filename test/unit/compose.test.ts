/**
 * docker-compose.yml describes what CI proves on scripts/cluster/temporal-cluster.ts: the same Temporal server
 * version, history shards, dynamic config file and search attributes; and production services that cannot start
 * without their secrets, never run the simulator, and outlive their own drain.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DYNAMIC_CONFIG_FILE,
  HISTORY_SHARDS,
  TEMPORAL_SERVER_VERSION,
} from '../../scripts/cluster/temporal-cluster.js';
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/account-lifecycle/api/search-attributes.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');
interface Service {
  image?: string;
  environment?: Record<string, string | number>;
  volumes?: string[];
  ports?: Array<string | { host_ip?: string; published?: string | number }>;
  stop_grace_period?: string;
  restart?: string;
}
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = compose.services;
/** `${NAME:-default}` → default */
const defaultOf = (value: string): string => /:-([^}]*)\}/.exec(value)?.[1] ?? value;

describe('docker-compose.yml and the cluster script', () => {
  it('run the same server version, with the schema and namespace jobs on matching admin tools', () => {
    expect(defaultOf(services.temporal!.image!.split(':').slice(1).join(':'))).toBe(TEMPORAL_SERVER_VERSION);
    for (const job of ['temporal-schema', 'temporal-namespace']) {
      expect(defaultOf(services[job]!.image!.split(':').slice(1).join(':'))).toBe(TEMPORAL_SERVER_VERSION);
    }
    expect(read('.env.example')).toContain(`TEMPORAL_VERSION=${TEMPORAL_SERVER_VERSION}`);
  });

  it('use the same history shard count and the same dynamic config file', () => {
    expect(Number(services.temporal!.environment!.NUM_HISTORY_SHARDS)).toBe(HISTORY_SHARDS);
    const mount = services.temporal!.volumes!.find((v) => v.includes('dynamic-config.yaml'))!;
    expect(new URL(mount.split(':')[0]!, root).pathname).toBe(DYNAMIC_CONFIG_FILE);
    expect(mount).toContain(`/etc/temporal/${String(services.temporal!.environment!.DYNAMIC_CONFIG_FILE_PATH)}`);
  });

  it('register the same search attributes', () => {
    const script = read('docker/temporal/create-namespace.sh');
    for (const flag of SEARCH_ATTRIBUTE_FLAGS) expect(script).toContain(flag.replace('=', ':'));
  });
});

describe('the production services', () => {
  const app = ['mono-reauth', 'mono-reauth-worker'].map((name) => services[name]!);

  it('cannot start without their secrets, so the simulator and development defaults never run', () => {
    const raw = read('docker-compose.yml');
    for (const variable of [
      'MONO_WEBHOOK_SECRET',
      'OPERATOR_TOKENS',
      'REAUTH_LINK_SECRET',
      'TEMPORAL_CODEC_KEYS',
      'MONO_SECRET_KEY',
      'MONO_PUBLIC_KEY',
      'PUBLIC_BASE_URL',
    ]) {
      expect(raw).toMatch(new RegExp(`${variable}: \\$\\{${variable}:\\?`));
    }
    for (const service of app) expect(service.environment!.NODE_ENV).toBe('production');
  });

  it('restart, outlive their drain, and publish operator ports to loopback only', () => {
    for (const service of app) {
      expect(service.restart).toBe('unless-stopped');
      expect(Number.parseInt(service.stop_grace_period!, 10)).toBeGreaterThan(40);
    }
    expect(services['mono-reauth']!.ports).toContain('127.0.0.1:3001:3001');
    expect(services['mono-reauth-worker']!.environment!.WORKER_METRICS_ADDRESS).toBe('0.0.0.0:9464');
    expect(services['mono-reauth-worker']!.ports).toContain('127.0.0.1:9464:9464');
    expect(services['mono-reauth-worker']!.ports).toContain('127.0.0.1:3002:3000');
  });

  it('pass every variable .env.example names, and .env.example names every one they read', () => {
    const example = new Set([...read('.env.example').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
    const read_ = new Set([...read('docker-compose.yml').matchAll(/\$\{([A-Z][A-Z0-9_]*)[:}]/g)].map((m) => m[1]!));
    expect([...read_].filter((name) => !example.has(name))).toEqual([]);
    expect([...example].filter((name) => !read_.has(name))).toEqual([]);
  });

  it('rotate every container’s logs', () => {
    for (const [name, service] of Object.entries(services)) {
      const logging = (service as { logging?: { options?: Record<string, string> } }).logging;
      if (service.restart !== 'unless-stopped') continue; // one-shot jobs
      expect(logging?.options, name).toMatchObject({ 'max-size': expect.any(String), 'max-file': expect.any(String) });
    }
  });

  it('run Prometheus with the alert rules, scraping each process by its compose name', () => {
    const prometheus = services.prometheus!;
    expect(prometheus.ports).toEqual(['127.0.0.1:9090:9090']);
    expect(prometheus.volumes).toEqual(
      expect.arrayContaining([
        './deploy/prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro',
        './deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro',
      ])
    );
    const config = parse(read('deploy/prometheus/prometheus.yml')) as {
      rule_files: string[];
      scrape_configs: Array<{ job_name: string; metrics_path?: string; static_configs: Array<{ targets: string[] }> }>;
    };
    expect(config.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    const targets = Object.fromEntries(
      config.scrape_configs.map((j) => [j.job_name, `${j.static_configs[0]!.targets[0]}${j.metrics_path ?? ''}`])
    );
    expect(targets).toEqual({
      'mono-reauth-ingress': 'mono-reauth:3001',
      'mono-reauth-accounts': 'mono-reauth:3001/metrics/accounts',
      'mono-reauth-worker': 'mono-reauth-worker:3000',
      'mono-reauth-worker-sdk': 'mono-reauth-worker:9464',
    });
    for (const name of ['mono-reauth', 'mono-reauth-worker']) expect(services).toHaveProperty(name);
  });
});

describe('the edge', () => {
  /** Host addresses a port mapping publishes on: `127.0.0.1:3001:3001` → 127.0.0.1; `3000:3000` → every one. */
  const hostOf = (port: string | { host_ip?: string; published?: string | number }): string => {
    if (typeof port !== 'string') return port.host_ip ?? '0.0.0.0';
    const parts = port.replace(/\/(tcp|udp)$/, '').split(':');
    return parts.length === 3 ? parts[0]! : '0.0.0.0';
  };

  it('publishes nothing but the webhook port beyond loopback', () => {
    const beyondLoopback = Object.entries(services).flatMap(([name, service]) =>
      (service.ports ?? [])
        .filter((port) => !['127.0.0.1', '[::1]', '::1'].includes(hostOf(port)))
        .map((port) => `${name} ${typeof port === 'string' ? port : JSON.stringify(port)}`)
    );
    expect(beyondLoopback).toEqual(['mono-reauth 3000:3000']);
    expect(services['mono-reauth']!.environment!.PORT).toBe(3000);
    for (const service of Object.values(services)) expect(service).not.toHaveProperty('network_mode');
  });

  it('locks the Web UI: loopback, write actions off, a secure CSRF cookie, its codec the service’s', () => {
    const ui = services['temporal-ui']!;
    expect(ui.ports).toEqual(['127.0.0.1:8080:8080']);
    const env = ui.environment!;
    expect(defaultOf(String(env.TEMPORAL_DISABLE_WRITE_ACTIONS))).toBe('true');
    expect(env.TEMPORAL_CSRF_COOKIE_INSECURE).toBe('false');
    expect(defaultOf(String(env.TEMPORAL_CODEC_ENDPOINT))).toBe('http://127.0.0.1:3001/codec');
    expect(services['mono-reauth']!.ports).toContain('127.0.0.1:3001:3001');
    expect(services['mono-reauth']!.environment!.ADMIN_ADDRESS).toBe('0.0.0.0:3001');
    // With OIDC sign-in on, the UI passes its users' access tokens, which the codec verifies.
    expect(env.TEMPORAL_CODEC_PASS_ACCESS_TOKEN).toBe('true');
    expect(defaultOf(String(env.TEMPORAL_AUTH_ENABLED))).toBe('false');
    for (const variable of ['CODEC_OIDC_ISSUER', 'CODEC_OIDC_AUDIENCE', 'TRUST_PROXY', 'INTEGRATION_TOKENS']) {
      expect(services['mono-reauth']!.environment).toHaveProperty(variable);
    }
    expect(defaultOf(String(services['mono-reauth']!.environment!.TEMPORAL_UI_ORIGINS))).toContain(
      'http://127.0.0.1:8080'
    );
  });

  it('gives the ingress longer than its drain to stop', () => {
    const ingress = services['mono-reauth']!;
    const drainSeconds = Number.parseInt(defaultOf(String(ingress.environment!.SHUTDOWN_DRAIN)), 10);
    expect(Number.parseInt(ingress.stop_grace_period!, 10)).toBeGreaterThanOrEqual(drainSeconds + 30);
  });
});
