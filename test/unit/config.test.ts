import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const problems = (env: Record<string, string>): string[] => {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};

describe('loadConfig', () => {
  it('with an empty environment, then the documented defaults apply and dev secrets are flagged', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      port: 3000,
      monoApiUrl: 'https://api.withmono.com',
      publicBaseUrl: 'http://localhost:3000',
      temporal: { address: 'localhost:7233', namespace: 'default', taskQueue: 'mono-reauth', uiPort: 8233 },
      lifecycle: {
        syncRetryBackoffMs: [120_000, 600_000, 1_800_000, 7_200_000, 21_600_000],
        reauthEscalateAfterMs: 604_800_000,
      },
      notify: { channels: ['log'] },
    });
    expect(c.devDefaults).toEqual(['MONO_WEBHOOK_SECRET', 'ADMIN_TOKEN']);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('splits rotated webhook secrets and treats empty strings as unset', () => {
    const c = loadConfig({ MONO_WEBHOOK_SECRET: 'new, old', PORT: '' });
    expect(c.webhookSecrets).toEqual(['new', 'old']);
    expect(c.port).toBe(3000);
  });

  it('names every bad variable, says what to write, and never echoes a value', () => {
    const found = problems({
      PORT: 'abc',
      SYNC_RETRY_BACKOFF: '30s,10m',
      REAUTH_ESCALATE_AFTER: 'soon',
      TEMPORAL_ADDRESS: 'http://x',
      NOTIFY_CHANNELS: 'log,sms',
      NOTIFY_QUIET_HOURS: '9pm-8am',
      NOTIFY_WEBHOOK_SECRET: 'supersecretvalue',
    });
    const text = found.join('\n');
    for (const name of [
      'PORT',
      'SYNC_RETRY_BACKOFF',
      'REAUTH_ESCALATE_AFTER',
      'TEMPORAL_ADDRESS',
      'NOTIFY_CHANNELS',
      'NOTIFY_QUIET_HOURS',
      'NOTIFY_WEBHOOK_SECRET',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/at least 120s/);
    expect(text).toMatch(/host:port/);
    expect(text).not.toContain('supersecretvalue');
  });

  it('bounds the worker cache by default and takes the worker limits from WORKER_* variables', () => {
    expect(loadConfig({}).worker).toEqual({
      maxCachedWorkflows: 500,
      maxConcurrentWorkflowTaskExecutions: undefined,
      maxConcurrentActivityTaskExecutions: undefined,
    });
    const tuned = loadConfig({
      WORKER_MAX_CACHED_WORKFLOWS: '0',
      WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '20',
      WORKER_MAX_CONCURRENT_ACTIVITIES: '50',
    });
    expect(tuned.worker).toEqual({
      maxCachedWorkflows: 0,
      maxConcurrentWorkflowTaskExecutions: 20,
      maxConcurrentActivityTaskExecutions: 50,
    });
    expect(() => loadConfig({ WORKER_MAX_CACHED_WORKFLOWS: 'lots' })).toThrow(/WORKER_MAX_CACHED_WORKFLOWS/);
    expect(() => loadConfig({ WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: '1' })).toThrow(
      /WORKER_MAX_CONCURRENT_WORKFLOW_TASKS/
    );
  });

  it('in production, requires the webhook secret and admin token', () => {
    expect(problems({ NODE_ENV: 'production' }).join('\n')).toMatch(
      /MONO_WEBHOOK_SECRET: is required[\s\S]*ADMIN_TOKEN: is required/
    );
  });

  it('requires the settings of each notification channel chosen, and a real time zone', () => {
    expect(problems({ NOTIFY_CHANNELS: 'log,webhook,email', NOTIFY_TIME_ZONE: 'Lagos' })).toEqual([
      'NOTIFY_WEBHOOK_URL: is required when NOTIFY_CHANNELS has webhook',
      'NOTIFY_WEBHOOK_SECRET: is required when NOTIFY_CHANNELS has webhook',
      'SMTP_URL: is required when NOTIFY_CHANNELS has email',
      'NOTIFY_FROM: is required when NOTIFY_CHANNELS has email',
      'NOTIFY_TIME_ZONE: is not an IANA time zone, e.g. Africa/Lagos',
    ]);
  });
});
