import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type LoadOptions } from '../../src/config.js';
import { REPLAY_CODEC_KEYS_TEXT } from '../replay/codec-fixture.js';

const problems = (env: Record<string, string>, options?: LoadOptions): string[] => {
  try {
    loadConfig(env, options);
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
    expect(c.devDefaults).toEqual([
      'MONO_WEBHOOK_SECRET',
      'ADMIN_TOKEN',
      'REAUTH_LINK_SECRET',
      'MONO_SECRET_KEY',
      'MONO_PUBLIC_KEY',
      'PUBLIC_BASE_URL',
      'TEMPORAL_CODEC_KEYS',
    ]);
    expect(c).toMatchObject({ host: '127.0.0.1', exposure: [], adminAddress: null });
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

  it('leaves the worker cache to the heap by default and takes the worker limits from WORKER_* variables', () => {
    expect(loadConfig({}).worker).toEqual({
      maxCachedWorkflows: undefined,
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

  it('refuses operator notices that could not be signed', () => {
    expect(problems({ OPERATOR_WEBHOOK_URL: 'https://ops.example.com/hook' })).toEqual([
      'OPERATOR_WEBHOOK_SECRET: is required when OPERATOR_WEBHOOK_URL is set (operator notices are signed with it)',
    ]);
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

/** A production configuration with nothing left to a development default. */
const STRONG = {
  MONO_WEBHOOK_SECRET: 'sec_9fQk2mWx7LpZr4Tn',
  ADMIN_TOKEN: 'Qm7rT2vX9kL4pZ8wN3cF6hJ1sD5gB0aE',
  REAUTH_LINK_SECRET: 'Zk3xV8nR1tQ6wM9pL2cJ5hF7gD4sB0aY,Ab1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV',
  MONO_SECRET_KEY: 'live_sk_abc123',
  MONO_PUBLIC_KEY: 'live_pk_abc123',
  PUBLIC_BASE_URL: 'https://reauth.example.com',
  TEMPORAL_CODEC_KEYS:
    'k2:cRwhzyQ6Sn3Bq/NXHA5oZYIu0Msf738BxlqmurdTZoI=,k1:K3VfDW51cIsarbkLLv34w0kEv01X8heV4I6U6i/JwdU=',
};

describe('fail closed: development defaults only while nothing else can reach the service', () => {
  const DEV_VARIABLES = [
    'MONO_WEBHOOK_SECRET',
    'ADMIN_TOKEN',
    'REAUTH_LINK_SECRET',
    'MONO_SECRET_KEY',
    'MONO_PUBLIC_KEY',
    'PUBLIC_BASE_URL',
    'TEMPORAL_CODEC_KEYS',
  ];

  it.each<{ why: string; env: Record<string, string>; reason: RegExp }>([
    { why: 'NODE_ENV=production', env: { NODE_ENV: 'production' }, reason: /NODE_ENV=production/ },
    { why: 'listening on every interface', env: { HOST: '0.0.0.0' }, reason: /HOST=0\.0\.0\.0/ },
    { why: 'a LAN address', env: { HOST: '192.168.1.20' }, reason: /HOST=192\.168\.1\.20/ },
    { why: 'operator routes on every interface', env: { ADMIN_ADDRESS: '0.0.0.0:3001' }, reason: /ADMIN_ADDRESS/ },
  ])('with $why, every development default is refused by name, with what to set', ({ env, reason }) => {
    const found = problems(env);
    expect(found.map((p) => p.split(':')[0])).toEqual(DEV_VARIABLES);
    for (const p of found) {
      expect(p).toMatch(reason);
      expect(p).toMatch(/reachable from other machines/);
      expect(p).toMatch(/; set /);
    }
  });

  it('counts a public PUBLIC_BASE_URL or a live Mono key as exposure even on a loopback listener (a local proxy)', () => {
    expect(problems({ PUBLIC_BASE_URL: 'https://reauth.example.com' }).join('\n')).toMatch(
      /ADMIN_TOKEN: the development default is refused because .*PUBLIC_BASE_URL points at reauth\.example\.com/
    );
    expect(problems({ MONO_SECRET_KEY: 'live_sk_x' }).join('\n')).toMatch(/MONO_SECRET_KEY is a live key/);
  });

  it('needs MONO_SECRET_KEY outside development only where Mono is called: the worker, not the ingress', () => {
    const withoutKey: Record<string, string> = { ...STRONG, NODE_ENV: 'production' };
    delete withoutKey.MONO_SECRET_KEY;
    expect(loadConfig({ ...withoutKey, SERVICE_ROLE: 'ingress' }).devDefaults).toEqual([]);
    expect(problems({ ...withoutKey, SERVICE_ROLE: 'worker' })).toEqual([expect.stringMatching(/^MONO_SECRET_KEY: /)]);
    expect(problems(withoutKey)).toEqual([expect.stringMatching(/^MONO_SECRET_KEY: /)]);
  });

  it('refuses an http PUBLIC_BASE_URL outside development', () => {
    expect(problems({ ...STRONG, NODE_ENV: 'production', PUBLIC_BASE_URL: 'http://reauth.example.com' })).toEqual([
      expect.stringMatching(/^PUBLIC_BASE_URL: .*https:\/\//),
    ]);
  });

  it.each([
    { variable: 'ADMIN_TOKEN', value: 'change-me-too' },
    { variable: 'ADMIN_TOKEN', value: 'dev-admin-token' },
    { variable: 'ADMIN_TOKEN', value: 'short-but-random-9x' },
    { variable: 'MONO_WEBHOOK_SECRET', value: 'change-me' },
    { variable: 'MONO_WEBHOOK_SECRET', value: 'abc123' },
    { variable: 'REAUTH_LINK_SECRET', value: 'Zk3xV8nR1tQ6wM9pL2cJ5hF7gD4sB0aY,tooshort' },
    { variable: 'DELIVERY_KEY_SECRET', value: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' },
  ])('refuses $variable=<weak value> outside development, never echoing it', ({ variable, value }) => {
    const found = problems({ ...STRONG, NODE_ENV: 'production', [variable]: value });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(new RegExp(`^${variable}: `));
    expect(found.join('\n')).not.toContain(value.split(',').pop());
  });

  it('starts in production with real secrets: every interface, operator routes on loopback PORT+1', () => {
    const c = loadConfig({ ...STRONG, NODE_ENV: 'production' });
    expect(c).toMatchObject({
      host: '0.0.0.0',
      adminAddress: { host: '127.0.0.1', port: 3001 },
      devDefaults: [],
      publicBaseUrl: 'https://reauth.example.com',
    });
    expect(c.reauthLink.secrets).toHaveLength(2);
    expect(loadConfig({ ...STRONG, NODE_ENV: 'production', ADMIN_ADDRESS: '10.0.0.5:9000' }).adminAddress).toEqual({
      host: '10.0.0.5',
      port: 9000,
    });
  });

  it('sets each section by mode: strict outbound, mail over TLS and no links in logs outside development', () => {
    const dev = loadConfig({ PORT: '0' });
    expect(dev.outbound).toEqual({ requireHttps: false, allowPrivate: true });
    expect(dev.notify).toMatchObject({ smtpRequireTls: false, logLinks: true, channels: ['log'] });
    expect(dev.temporal.uiOrigins).toEqual(['http://localhost:8233', 'http://127.0.0.1:8233']);
    expect(dev.adminAddress).toBeNull();
    const prod = loadConfig({ ...STRONG, NODE_ENV: 'production', PORT: '0', OUTBOUND_ALLOW_PRIVATE: 'SMTP.internal' });
    expect(prod.outbound).toEqual({ requireHttps: true, allowPrivate: ['smtp.internal'] });
    expect(prod.notify).toMatchObject({ smtpRequireTls: true, logLinks: false });
    expect(prod.temporal.uiOrigins).toEqual([]);
    expect(prod.adminAddress).toEqual({ host: '127.0.0.1', port: 0 });
    expect(prod.reconcile).toEqual({
      everyMs: 21_600_000,
      stuckAfterMs: 21_600_000,
      silentAfterMs: 129_600_000,
      concurrency: 20,
    });
  });

  it('refuses malformed payload codec keys, naming the entry and never the key', () => {
    expect(problems({ TEMPORAL_CODEC_KEYS: 'k1:c2hvcnQ=' })).toEqual([
      expect.stringMatching(/^TEMPORAL_CODEC_KEYS entry 1 \("k1"\): the key must be 32 bytes/),
    ]);
    expect(problems({ TEMPORAL_CODEC_KEYS: 'k1:c2hvcnQ=' }).join('\n')).not.toContain('c2hvcnQ');
    expect(loadConfig({ ...STRONG, NODE_ENV: 'production' }).temporal.codecKeys?.map((k) => k.id)).toEqual([
      'k2',
      'k1',
    ]);
  });

  it('keeps weak values allowed on a loopback-only development service', () => {
    expect(() => loadConfig({ ADMIN_TOKEN: 'x', MONO_WEBHOOK_SECRET: 'y' })).not.toThrow();
  });
});

describe('development mode needs an explicit signal', () => {
  const refusedBecause = (env: Record<string, string>): string => {
    const found = problems(env);
    expect(found.map((p) => p.split(':')[0])).toContain('ADMIN_TOKEN');
    return found.find((p) => p.startsWith('ADMIN_TOKEN:'))!;
  };

  it('is development with NODE_ENV unset, development or test, loopback listeners and a local plaintext Temporal', () => {
    for (const NODE_ENV of ['', 'development', 'test']) {
      const c = loadConfig({ NODE_ENV, TEMPORAL_ADDRESS: '127.0.0.1:7233' });
      expect(c).toMatchObject({ development: true, exposure: [], warnings: [] });
    }
  });

  it.each<{ why: string; env: Record<string, string>; reason: RegExp }>([
    {
      why: 'a Temporal on another machine',
      env: { TEMPORAL_ADDRESS: 'temporal.internal:7233' },
      reason: /TEMPORAL_ADDRESS on temporal\.internal/,
    },
    {
      why: 'a Temporal address of 0.0.0.0',
      env: { TEMPORAL_ADDRESS: '0.0.0.0:7233' },
      reason: /TEMPORAL_ADDRESS=0\.0\.0\.0/,
    },
    { why: 'an API key for Temporal', env: { TEMPORAL_API_KEY: 'some-key' }, reason: /TEMPORAL_API_KEY is set/ },
    { why: 'TLS to Temporal', env: { TEMPORAL_TLS: 'true' }, reason: /TEMPORAL_TLS\* is set/ },
    { why: 'an unknown NODE_ENV', env: { NODE_ENV: 'prod' }, reason: /NODE_ENV=prod is not development or test/ },
  ])('refuses the development defaults with $why, naming the variable', ({ env, reason }) => {
    expect(refusedBecause(env)).toMatch(reason);
  });

  it('warns about an unknown NODE_ENV and runs it as not development', () => {
    const c = loadConfig({ ...STRONG, NODE_ENV: 'staging' });
    expect(c.development).toBe(false);
    expect(c.host).toBe('127.0.0.1');
    expect(c.warnings).toEqual([
      expect.stringMatching(/^NODE_ENV=staging is none of production, development and test/),
    ]);
  });

  it('refuses plaintext to a Temporal on another machine unless TEMPORAL_TLS=false says so, which warns', () => {
    const remote = { ...STRONG, NODE_ENV: 'production', TEMPORAL_ADDRESS: 'temporal:7233' };
    expect(problems(remote)).toEqual([
      expect.stringMatching(
        /^TEMPORAL_ADDRESS: plaintext to a Temporal server on another machine is refused; set TEMPORAL_TLS=true/
      ),
    ]);
    const onPurpose = loadConfig({ ...remote, TEMPORAL_TLS: 'false' });
    expect(onPurpose.warnings).toEqual([
      expect.stringMatching(/^TEMPORAL_TLS=false: the connection to Temporal at temporal:7233 is not encrypted/),
    ]);
    expect(loadConfig({ ...remote, TEMPORAL_TLS: 'true' }).warnings).toEqual([]);
    expect(loadConfig({ ...STRONG, NODE_ENV: 'production' }).warnings).toEqual([]);
    expect(problems({ TEMPORAL_TLS: 'yes' })).toEqual(['TEMPORAL_TLS: write true or false']);
  });

  it('refuses SMTP_REQUIRE_TLS=false outside development only', () => {
    expect(problems({ ...STRONG, NODE_ENV: 'production', SMTP_REQUIRE_TLS: 'false' })).toEqual([
      expect.stringMatching(/^SMTP_REQUIRE_TLS: false is refused outside development/),
    ]);
    expect(loadConfig({ SMTP_REQUIRE_TLS: 'false' }).notify.smtpRequireTls).toBe(false);
  });

  it('refuses weak codec keys everywhere and the published test key outside development, never echoing a key', () => {
    const zeros = Buffer.alloc(32).toString('base64');
    const text = Buffer.from('correct horse battery staple 123').toString('base64');
    expect(problems({ TEMPORAL_CODEC_KEYS: `a:${zeros},b:${text}` })).toEqual([
      'TEMPORAL_CODEC_KEYS entry 1 ("a"): has too few distinct bytes to be random; make one with openssl rand -base64 32',
      'TEMPORAL_CODEC_KEYS entry 2 ("b"): is text, not random bytes; make one with openssl rand -base64 32',
    ]);
    expect(loadConfig({ TEMPORAL_CODEC_KEYS: REPLAY_CODEC_KEYS_TEXT }).temporal.codecKeys).toHaveLength(1);
    const found = problems({ ...STRONG, NODE_ENV: 'production', TEMPORAL_CODEC_KEYS: REPLAY_CODEC_KEYS_TEXT });
    expect(found).toEqual([
      expect.stringMatching(
        /^TEMPORAL_CODEC_KEYS entry 1 \("replay-fixture-1"\): is a test key published in this repository/
      ),
    ]);
    expect(found.join('\n')).not.toContain(REPLAY_CODEC_KEYS_TEXT.split(':')[1]);
  });

  it('asks the operator CLI outside development for real codec keys only, not for the service secrets', () => {
    const cloud = { TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'some-key' };
    expect(problems(cloud, { operatorTool: true })).toEqual([
      expect.stringMatching(
        /^TEMPORAL_CODEC_KEYS: the development default is refused because .*TEMPORAL_API_KEY is set/
      ),
    ]);
    expect(problems({ ...cloud, TEMPORAL_CODEC_KEYS: REPLAY_CODEC_KEYS_TEXT }, { operatorTool: true })).toEqual([
      expect.stringMatching(/published in this repository/),
    ]);
    const c = loadConfig({ ...cloud, TEMPORAL_CODEC_KEYS: STRONG.TEMPORAL_CODEC_KEYS }, { operatorTool: true });
    expect(c.development).toBe(false);
    expect(c.temporal.codecKeys).toHaveLength(2);
  });

  it('needs at least 24 bytes after whsec_ in NOTIFY_WEBHOOK_SECRET', () => {
    const whsec = (bytes: number) => `whsec_${Buffer.alloc(bytes, 'k').toString('base64')}`;
    expect(problems({ NOTIFY_WEBHOOK_SECRET: whsec(23) })).toEqual([
      'NOTIFY_WEBHOOK_SECRET: must be whsec_ and the base64 of at least 24 random bytes, e.g. whsec_$(openssl rand -base64 32)',
    ]);
    expect(problems({ NOTIFY_WEBHOOK_SECRET: 'whsec_not base64!' })).toHaveLength(1);
    expect(problems({ NOTIFY_WEBHOOK_SECRET: 'supersecretvalue' })).toEqual([
      'NOTIFY_WEBHOOK_SECRET: must start with whsec_ (a Standard Webhooks secret)',
    ]);
    expect(loadConfig({ NOTIFY_WEBHOOK_SECRET: whsec(24) }).notify.webhookSecret).toBe(whsec(24));
  });

  const whsec = (fill: string) => `whsec_${Buffer.alloc(32, fill).toString('base64')}`;

  it('takes several webhook secrets, comma-separated, each a whsec_ secret (rotation without a gap)', () => {
    const c = loadConfig({
      NOTIFY_WEBHOOK_SECRET: `${whsec('n')}, ${whsec('o')}`,
      OPERATOR_WEBHOOK_SECRET: `${whsec('p')},${whsec('q')}`,
      OPERATOR_WEBHOOK_URL: 'https://ops.example.com/hook',
    });
    expect(c.notify.webhookSecret).toBe(`${whsec('n')}, ${whsec('o')}`);
    expect(c.notify.operatorWebhookSecret).toBe(`${whsec('p')},${whsec('q')}`);
    expect(problems({ NOTIFY_WEBHOOK_SECRET: `${whsec('n')},supersecretvalue` })).toEqual([
      'NOTIFY_WEBHOOK_SECRET: entry 2: must start with whsec_ (a Standard Webhooks secret)',
    ]);
    expect(problems({ OPERATOR_WEBHOOK_SECRET: 'whsec_short' })).toEqual([
      'OPERATOR_WEBHOOK_SECRET: must be whsec_ and the base64 of at least 24 random bytes, e.g. whsec_$(openssl rand -base64 32)',
    ]);
    expect(problems({ NOTIFY_WEBHOOK_SECRET: ' , ' })).toEqual([
      'NOTIFY_WEBHOOK_SECRET: needs at least one whsec_ secret',
    ]);
  });

  it("signs operator notices with OPERATOR_WEBHOOK_SECRET; in development alone it may fall back on the customer's", () => {
    const operators = { OPERATOR_WEBHOOK_URL: 'https://ops.example.com/hook' };
    expect(loadConfig({ ...operators, NOTIFY_WEBHOOK_SECRET: whsec('n') }).notify.operatorWebhookSecret).toBe(
      whsec('n')
    );
    const prod = { ...STRONG, ...operators, NODE_ENV: 'production', NOTIFY_WEBHOOK_SECRET: whsec('n') };
    expect(problems(prod)).toEqual([
      "OPERATOR_WEBHOOK_SECRET: is required when OPERATOR_WEBHOOK_URL is set outside development (operator notices are never signed with the customer's NOTIFY_WEBHOOK_SECRET); make one with whsec_$(openssl rand -base64 32)",
    ]);
    const c = loadConfig({ ...prod, OPERATOR_WEBHOOK_SECRET: whsec('p') });
    expect(c.notify.operatorWebhookSecret).toBe(whsec('p'));
    expect(c.notify.webhookSecret).toBe(whsec('n'));
  });
});

describe('the Worker Deployment Version (TEMPORAL_DEPLOYMENT_NAME, TEMPORAL_WORKER_BUILD_ID, TEMPORAL_WORKER_PROMOTE)', () => {
  it('defaults to the mono-reauth deployment, no build id, and promoting always in development, first elsewhere', () => {
    expect(loadConfig({}).temporal.deployment).toEqual({ name: 'mono-reauth', buildId: undefined, promote: 'always' });
    expect(loadConfig({ ...STRONG, NODE_ENV: 'production' }).temporal.deployment).toEqual({
      name: 'mono-reauth',
      buildId: undefined,
      promote: 'first',
    });
  });

  it('takes the values given', () => {
    const env = {
      TEMPORAL_DEPLOYMENT_NAME: 'mono-reauth_eu-2',
      TEMPORAL_WORKER_BUILD_ID: '2026.12.07+3f9c2ab_rc-1',
      TEMPORAL_WORKER_PROMOTE: 'never',
    };
    expect(loadConfig(env).temporal.deployment).toEqual({
      name: 'mono-reauth_eu-2',
      buildId: '2026.12.07+3f9c2ab_rc-1',
      promote: 'never',
    });
    expect(
      loadConfig({ ...STRONG, NODE_ENV: 'production', TEMPORAL_WORKER_PROMOTE: 'always' }).temporal.deployment.promote
    ).toBe('always');
  });

  it.each<Record<string, string>>([
    { TEMPORAL_DEPLOYMENT_NAME: 'mono.reauth' },
    { TEMPORAL_DEPLOYMENT_NAME: 'mono reauth' },
    { TEMPORAL_DEPLOYMENT_NAME: 'mono:reauth' },
    { TEMPORAL_DEPLOYMENT_NAME: 'x'.repeat(101) },
    { TEMPORAL_WORKER_BUILD_ID: 'build 1' },
    { TEMPORAL_WORKER_BUILD_ID: 'build:1' },
    { TEMPORAL_WORKER_BUILD_ID: 'b'.repeat(101) },
    { TEMPORAL_WORKER_PROMOTE: 'sometimes' },
  ])('refuses %j, naming the variable', (env) => {
    const [variable] = Object.keys(env);
    expect(problems(env)).toEqual([expect.stringMatching(new RegExp(`^${variable}: write `))]);
  });
});

describe('TRUST_PROXY', () => {
  it('is off by default; a hop count or proxy CIDRs otherwise', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    const production = { ...STRONG, NODE_ENV: 'production' };
    expect(loadConfig({ ...production, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...production, TRUST_PROXY: '10.0.0.0/8,2001:db8::/32' }).trustProxy).toEqual([
      '10.0.0.0/8',
      '2001:db8::/32',
    ]);
  });

  it('refuses trusting everything and what is not an address, naming the variable', () => {
    for (const value of ['true', '0.0.0.0/0', 'proxy.internal']) {
      expect(problems({ TRUST_PROXY: value })).toEqual([expect.stringMatching(/^TRUST_PROXY: /)]);
    }
  });

  it('warns in development, where requests through a proxy are refused anyway', () => {
    expect(loadConfig({ TRUST_PROXY: '1' }).warnings).toContain(
      'TRUST_PROXY is set, but in development mode requests that come through a proxy are refused (421)'
    );
  });
});

describe('tokens by role (OPERATOR_TOKENS with ADMIN_TOKEN, INTEGRATION_TOKENS, CODEC_TOKENS)', () => {
  const production = { ...STRONG, NODE_ENV: 'production' };
  const INTEGRATION = ['iN7tegR4tion-T0ken-aaaaaaaaaaaaaaaaaa', 'iN7tegR4tion-T0ken-bbbbbbbbbbbbbbbbbb'];
  const CODEC = 'c0dEc-T0ken-for-the-web-ui-cccccccccccc';
  const OPERATOR = 'oP3rator-T0ken-dddddddddddddddddddddd';

  it('in development: the published operator token alone, so npm start needs no configuration', () => {
    expect(loadConfig({}).tokens).toEqual({ operator: ['dev-admin-token'], integration: [], codec: [] });
  });

  it('keeps ADMIN_TOKEN as an operator token, and splits each role’s rotation list', () => {
    const c = loadConfig({
      ...production,
      OPERATOR_TOKENS: OPERATOR,
      INTEGRATION_TOKENS: INTEGRATION.join(', '),
      CODEC_TOKENS: CODEC,
    });
    expect(c.tokens).toEqual({ operator: [STRONG.ADMIN_TOKEN, OPERATOR], integration: INTEGRATION, codec: [CODEC] });
    const withoutAdminToken = { ...production, ADMIN_TOKEN: '', OPERATOR_TOKENS: OPERATOR };
    expect(loadConfig(withoutAdminToken).tokens.operator).toEqual([OPERATOR]);
    expect(loadConfig(withoutAdminToken).devDefaults).not.toContain('ADMIN_TOKEN');
  });

  it('refuses tokens shorter than 32 characters outside development, naming the variable and not the value', () => {
    const found = problems({ ...production, INTEGRATION_TOKENS: `${INTEGRATION[0]},short-token`, CODEC_TOKENS: 'x' });
    expect(found).toEqual([
      expect.stringMatching(/^INTEGRATION_TOKENS: is shorter than 32 characters/),
      expect.stringMatching(/^CODEC_TOKENS: is shorter than 32 characters/),
    ]);
    expect(found.join('\n')).not.toContain('short-token');
  });

  it('refuses a token that two roles share, in every mode', () => {
    expect(problems({ ...production, CODEC_TOKENS: STRONG.ADMIN_TOKEN })).toEqual([
      'CODEC_TOKENS: shares a token with OPERATOR_TOKENS/ADMIN_TOKEN; give each role its own tokens',
    ]);
    expect(problems({ INTEGRATION_TOKENS: 'same', CODEC_TOKENS: 'other,same' })).toEqual([
      'CODEC_TOKENS: shares a token with INTEGRATION_TOKENS; give each role its own tokens',
    ]);
  });
});

describe('SHUTDOWN_DRAIN', () => {
  it('is 20 s outside development (within Kubernetes’ 30 s grace), none in development, or as given', () => {
    expect(loadConfig({ ...STRONG, NODE_ENV: 'production' }).shutdownDrainMs).toBe(20_000);
    expect(loadConfig({}).shutdownDrainMs).toBe(0);
    expect(loadConfig({ SHUTDOWN_DRAIN: '45s' }).shutdownDrainMs).toBe(45_000);
    expect(loadConfig({ SHUTDOWN_DRAIN: '0s' }).shutdownDrainMs).toBe(0);
  });

  it('refuses what is not a duration, or more than 10 minutes', () => {
    expect(problems({ SHUTDOWN_DRAIN: 'soon' })).toEqual([expect.stringMatching(/^SHUTDOWN_DRAIN: is not a duration/)]);
    expect(problems({ SHUTDOWN_DRAIN: '1h' })).toEqual(['SHUTDOWN_DRAIN: must be at most 10m']);
  });
});

describe('the Web UI’s OIDC sign-in for the codec (CODEC_OIDC_ISSUER, CODEC_OIDC_AUDIENCE, CODEC_OIDC_JWKS_URL)', () => {
  it('is off by default, and on with an issuer and an audience', () => {
    expect(loadConfig({}).codecOidc).toBeNull();
    const env = { CODEC_OIDC_ISSUER: 'https://login.example.com/realms/ops', CODEC_OIDC_AUDIENCE: 'temporal-ui' };
    expect(loadConfig(env).codecOidc).toEqual({
      issuer: 'https://login.example.com/realms/ops',
      audience: 'temporal-ui',
      jwksUrl: undefined,
    });
  });

  it('needs the audience with the issuer, and https outside development', () => {
    expect(problems({ CODEC_OIDC_ISSUER: 'https://login.example.com' })).toEqual([
      expect.stringMatching(/^CODEC_OIDC_AUDIENCE: is required with CODEC_OIDC_ISSUER/),
    ]);
    const plain = { CODEC_OIDC_ISSUER: 'http://login.example.com', CODEC_OIDC_AUDIENCE: 'temporal-ui' };
    expect(problems({ ...STRONG, NODE_ENV: 'production', ...plain })).toEqual([
      'CODEC_OIDC_ISSUER: must be an https:// URL outside development',
    ]);
  });
});
