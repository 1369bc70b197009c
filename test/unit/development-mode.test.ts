/**
 * The pure rules of development mode (src/lib/exposure.ts), the codec key checks (src/temporal/codec.ts) and the
 * dev server's loopback-only listener (src/temporal/dev-server.ts).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  exposureReasons,
  isLoopbackHost,
  nodeEnvWarning,
  temporalPlaintextCheck,
  type ExposureFacts,
} from '../../src/lib/exposure.js';
import {
  generateCodecKeyEntry,
  isPublishedCodecKey,
  parseCodecKeys,
  weakCodecKeyProblem,
} from '../../src/temporal/codec.js';
import { devServerArgs } from '../../src/temporal/dev-server.js';
import { REPLAY_CODEC_KEYS } from '../replay/codec-fixture.js';

const DEVELOPMENT: ExposureFacts = {
  nodeEnv: undefined,
  host: '127.0.0.1',
  adminHost: null,
  publicBaseUrl: undefined,
  monoSecretKey: undefined,
  temporalAddress: 'localhost:7233',
  temporalApiKey: false,
  temporalTls: false,
};

describe('exposureReasons', () => {
  it.each<Partial<ExposureFacts>>([
    {},
    { nodeEnv: 'development' },
    { nodeEnv: 'test' },
    { host: 'localhost' },
    { host: '::1' },
    { adminHost: '127.0.0.1' },
    { publicBaseUrl: 'http://localhost:3000' },
    { publicBaseUrl: 'http://reauth.test' },
    { monoSecretKey: 'test_sk_x' },
    { temporalAddress: '127.0.0.1:7233' },
    { temporalAddress: '127.0.1.1:7233' },
  ])('is development with %j', (facts) => {
    expect(exposureReasons({ ...DEVELOPMENT, ...facts })).toEqual([]);
  });

  it.each<{ facts: Partial<ExposureFacts>; reason: string }>([
    { facts: { nodeEnv: 'production' }, reason: 'NODE_ENV=production' },
    { facts: { nodeEnv: 'Production' }, reason: 'NODE_ENV=Production is not development or test' },
    { facts: { nodeEnv: 'staging' }, reason: 'NODE_ENV=staging is not development or test' },
    { facts: { host: '0.0.0.0' }, reason: 'HOST=0.0.0.0 (other machines can connect)' },
    { facts: { host: '10.0.0.5' }, reason: 'HOST=10.0.0.5 (other machines can connect)' },
    { facts: { adminHost: '0.0.0.0' }, reason: 'ADMIN_ADDRESS on 0.0.0.0' },
    { facts: { publicBaseUrl: 'https://reauth.example.com' }, reason: 'PUBLIC_BASE_URL points at reauth.example.com' },
    { facts: { monoSecretKey: 'live_sk_x' }, reason: 'MONO_SECRET_KEY is a live key' },
    {
      facts: { temporalAddress: '0.0.0.0:7233' },
      reason: 'TEMPORAL_ADDRESS=0.0.0.0 (a dev server there would listen on every interface)',
    },
    {
      facts: { temporalAddress: 'eu-west-1.aws.api.temporal.io:7233' },
      reason: 'TEMPORAL_ADDRESS on eu-west-1.aws.api.temporal.io (Temporal on another machine)',
    },
    {
      facts: { temporalApiKey: true, temporalTls: true },
      reason: 'TEMPORAL_API_KEY is set (a secured Temporal: a cluster or Temporal Cloud)',
    },
    { facts: { temporalTls: true }, reason: 'TEMPORAL_TLS* is set (a secured Temporal: a cluster or Temporal Cloud)' },
  ])('is not development with $facts: $reason', ({ facts, reason }) => {
    expect(exposureReasons({ ...DEVELOPMENT, ...facts })).toEqual([reason]);
  });

  it('lists every reason at once', () => {
    const all = exposureReasons({
      nodeEnv: 'production',
      host: '0.0.0.0',
      adminHost: '0.0.0.0',
      publicBaseUrl: 'https://reauth.example.com',
      monoSecretKey: 'live_sk_x',
      temporalAddress: 'temporal:7233',
      temporalApiKey: true,
      temporalTls: true,
    });
    expect(all.map((r) => /^[A-Z_]+/.exec(r)![0])).toEqual([
      'NODE_ENV',
      'HOST',
      'ADMIN_ADDRESS',
      'PUBLIC_BASE_URL',
      'MONO_SECRET_KEY',
      'TEMPORAL_ADDRESS',
      'TEMPORAL_API_KEY',
    ]);
  });
});

describe('isLoopbackHost', () => {
  it.each(['localhost', 'LOCALHOST', '127.0.0.1', '127.1.2.3', '::1', '[::1]', '::ffff:127.0.0.1'])('%s is', (h) => {
    expect(isLoopbackHost(h)).toBe(true);
  });
  it.each(['0.0.0.0', '::', '10.0.0.1', 'localhost.example.com', '127.0.0.1.nip.io', ''])('%j is not', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('nodeEnvWarning', () => {
  it('says nothing for production, development, test or unset, and warns about anything else', () => {
    for (const value of [undefined, 'production', 'development', 'test']) expect(nodeEnvWarning(value)).toBeUndefined();
    expect(nodeEnvWarning('prod')).toMatch(/^NODE_ENV=prod is none of production, development and test/);
  });
});

describe('temporalPlaintextCheck', () => {
  it('allows plaintext on loopback and TLS anywhere', () => {
    expect(temporalPlaintextCheck({ temporalAddress: 'localhost:7233', tls: false, tlsOffOnPurpose: false })).toEqual(
      {}
    );
    expect(temporalPlaintextCheck({ temporalAddress: 'temporal:7233', tls: true, tlsOffOnPurpose: false })).toEqual({});
  });

  it('refuses plaintext to another machine (0.0.0.0 included) unless TLS is off on purpose, which warns', () => {
    for (const temporalAddress of ['temporal:7233', '0.0.0.0:7233']) {
      expect(temporalPlaintextCheck({ temporalAddress, tls: false, tlsOffOnPurpose: false })).toEqual({
        problem: expect.stringMatching(/^TEMPORAL_ADDRESS: plaintext .* TEMPORAL_TLS=false/),
      });
    }
    expect(temporalPlaintextCheck({ temporalAddress: 'temporal:7233', tls: false, tlsOffOnPurpose: true })).toEqual({
      warning: expect.stringMatching(/^TEMPORAL_TLS=false: .* temporal:7233 is not encrypted/),
    });
  });
});

describe('codec key checks', () => {
  it('find no fault with random keys', () => {
    for (let i = 0; i < 20; i++) {
      const [key] = parseCodecKeys(generateCodecKeyEntry(`k${i}`));
      expect(weakCodecKeyProblem(key!.key)).toBeUndefined();
      expect(isPublishedCodecKey(key!.key)).toBe(false);
    }
  });

  it('call repeated patterns and text weak', () => {
    expect(weakCodecKeyProblem(new Uint8Array(32))).toMatch(/too few distinct bytes/);
    expect(weakCodecKeyProblem(new Uint8Array(32).map((_, i) => i % 8))).toMatch(/too few distinct bytes/);
    expect(weakCodecKeyProblem(Buffer.from('my-codec-key-for-production-2026'))).toMatch(/is text/);
  });

  it('know the test key of the recorded histories, as test/replay/codec-fixture.ts derives it', () => {
    const derived = createHash('sha256').update('mono-reauth replay fixture key, not a secret').digest();
    expect(isPublishedCodecKey(derived)).toBe(true);
    expect(isPublishedCodecKey(REPLAY_CODEC_KEYS[0]!.key)).toBe(true);
    expect(weakCodecKeyProblem(derived)).toBeUndefined();
  });
});

describe('the dev server', () => {
  const args = (host: string) => devServerArgs({ cliPath: 'temporal', host, port: 7233, uiPort: 8233 });

  it('listens, Web UI included, on the loopback address it is given', () => {
    const a = args('127.0.0.1');
    expect(a[a.indexOf('--ip') + 1]).toBe('127.0.0.1');
    expect(a[a.indexOf('--ui-ip') + 1]).toBe('127.0.0.1');
    expect(args('localhost')).toContain('--ui-port');
  });

  it('refuses any other address, 0.0.0.0 included', () => {
    for (const host of ['0.0.0.0', '10.0.0.5', 'temporal']) expect(() => args(host)).toThrow(/not a loopback address/);
  });
});
