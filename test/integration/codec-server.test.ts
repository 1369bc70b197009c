/**
 * The codec server (src/server/codec/routes.ts) on a real port, spoken to the way the Temporal Web UI and CLI
 * speak to it: JSON payloads with base64 metadata and data, X-Namespace, bearer token, CORS from the UI's origin.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AesGcmCodec, generateCodecKeyEntry, parseCodecKeys } from '../../src/temporal/codec.js';
import { createCodecRouter } from '../../src/server/codec/routes.js';
import { testRefusalGuard, tokensFor } from '../helpers/access.js';

const TOKEN = 'codec-test-token';
const UI_ORIGIN = 'http://127.0.0.1:8233';
const DEV_UI_ORIGIN = 'http://localhost:18233';
const keys = parseCodecKeys(generateCodecKeyEntry('k1'));
const codec = new AesGcmCodec(keys);
let server: Server;
let base: string;

beforeAll(async () => {
  const app = express();
  app.use(
    createCodecRouter({
      codec,
      tokens: tokensFor({ operator: [TOKEN] }),
      allowedOrigins: [UI_ORIGIN, DEV_UI_ORIGIN],
      originsWithoutToken: [DEV_UI_ORIGIN],
      namespace: 'default',
      guard: testRefusalGuard(),
    })
  );
  app.use((_req, res) => void res.status(404).json({ error: 'not found' }));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/codec`;
});
afterAll(async () => {
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
});

type JsonPayload = { metadata: Record<string, string>; data: string };
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])
  ),
  data: Buffer.from(p.data ?? []).toString('base64'),
});
const fromJson = (p: JsonPayload): Payload => ({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
  data: Buffer.from(p.data, 'base64'),
});
const b64 = (s: string) => Buffer.from(s).toString('base64');

async function call(
  path: 'encode' | 'decode',
  body: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${base}/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-namespace': 'default', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const contact = { email: 'owner-9@example.com', timeZone: 'Africa/Lagos' };

describe('codec protocol', () => {
  it('encodes to ciphertext and decodes back to the same payloads', async () => {
    const plain = [defaultPayloadConverter.toPayload(contact), defaultPayloadConverter.toPayload('second')];
    const encoded = await call('encode', { payloads: plain.map(toJson) });
    expect(encoded.status).toBe(200);
    expect(encoded.json.payloads).toHaveLength(2);
    for (const p of encoded.json.payloads as JsonPayload[]) {
      expect(p.metadata.encoding).toBe(b64('binary/encrypted'));
      expect(p.metadata['encryption-key-id']).toBe(b64('k1'));
      expect(Buffer.from(p.data, 'base64').toString('latin1')).not.toContain('owner-9');
    }
    const decoded = await call('decode', encoded.json);
    expect(decoded.status).toBe(200);
    expect(decoded.json.payloads.map((p: JsonPayload) => defaultPayloadConverter.fromPayload(fromJson(p)))).toEqual([
      contact,
      'second',
    ]);
    // What the service's own workers wrote decodes too (same codec, same format).
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(contact)]);
    const fromWorker = await call('decode', { payloads: [toJson(sealed!)] });
    expect(defaultPayloadConverter.fromPayload(fromJson(fromWorker.json.payloads[0]))).toEqual(contact);
  });

  it('passes plaintext payloads (histories from before the codec) through decode', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload(contact));
    const res = await call('decode', { payloads: [plain, { metadata: {}, data: '' }] });
    expect(res.status).toBe(200);
    expect(res.json.payloads[0]).toEqual(plain);
    expect(res.json.payloads[1]).toEqual({ metadata: {}, data: '' });
    expect((await call('decode', { payloads: [] })).json).toEqual({ payloads: [] });
  });

  it('answers 400 with a clear error for garbage, without echoing it', async () => {
    const cases: Array<[unknown, RegExp]> = [
      ['{"payloads": [', /not valid JSON/],
      ['not json at all', /not valid JSON/],
      [{}, /payloads/],
      [{ payloads: 'x' }, /payloads/],
      [{ payloads: [{ metadata: { encoding: '***' }, data: '' }] }, /payloads\.0\.metadata\.encoding: must be base64/],
      [{ payloads: [{ data: 42 }] }, /payloads\.0\.data/],
      [[1, 2], /body/],
    ];
    for (const [body, error] of cases) {
      const res = await call('decode', body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error).toMatch(error);
    }
  });

  it('answers 400 for a payload it cannot decrypt: altered data, or a key it does not have', async () => {
    const [sealed] = await codec.encode([defaultPayloadConverter.toPayload(contact)]);
    const altered = toJson(sealed!);
    const bytes = Buffer.from(altered.data, 'base64');
    bytes[bytes.length - 1]! ^= 1;
    const res = await call('decode', { payloads: [{ ...altered, data: bytes.toString('base64') }] });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/failed authentication/);
    const [foreign] = await new AesGcmCodec(parseCodecKeys(generateCodecKeyEntry('other'))).encode([
      defaultPayloadConverter.toPayload(contact),
    ]);
    const unknown = await call('decode', { payloads: [toJson(foreign!)] });
    expect(unknown.status).toBe(400);
    expect(unknown.json.error).toMatch(/key "other", which is not among the configured keys/);
  });

  it('refuses another namespace named in X-Namespace', async () => {
    const res = await call('decode', { payloads: [] }, { authorization: `Bearer ${TOKEN}`, 'x-namespace': 'other' });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/namespace "default"/);
  });
});

describe('auth', () => {
  const sealedBody = async () => ({
    payloads: (await codec.encode([defaultPayloadConverter.toPayload(contact)])).map(toJson),
  });

  it('answers 401 without a token, with a wrong one, or an empty one, and decodes nothing', async () => {
    const body = await sealedBody();
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: 'Bearer ' },
      { authorization: TOKEN },
      { authorization: `Basic ${TOKEN}` },
    ];
    for (const headers of attempts) {
      const res = await call('decode', body, headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(JSON.stringify(res.json)).not.toContain('owner-9');
    }
    expect((await call('encode', body, {})).status).toBe(401);
    // The token as the UI forwards it (any case of "Bearer").
    expect((await call('decode', body, { authorization: `bearer ${TOKEN}` })).status).toBe(200);
  });

  it('serves the development UI origin without a token, and no other origin', async () => {
    const body = await sealedBody();
    const dev = await call('decode', body, { origin: DEV_UI_ORIGIN });
    expect(dev.status).toBe(200);
    expect(defaultPayloadConverter.fromPayload(fromJson(dev.json.payloads[0]))).toEqual(contact);
    expect((await call('decode', body, { origin: UI_ORIGIN })).status).toBe(401);
    expect((await call('decode', body, { origin: 'http://evil.example' })).status).toBe(401);
  });
});

describe('CORS', () => {
  const preflight = (origin: string, path = 'decode') =>
    fetch(`${base}/${path}`, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });

  it('answers the UI origin’s preflight with the methods, headers and credentials the UI needs', async () => {
    for (const path of ['decode', 'encode']) {
      const res = await preflight(UI_ORIGIN, path);
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
      expect(res.headers.get('access-control-allow-credentials')).toBe('true');
      expect(res.headers.get('access-control-allow-methods')).toMatch(/POST/);
      const allowedHeaders = res.headers.get('access-control-allow-headers')!.split(/\s*,\s*/);
      expect(allowedHeaders).toEqual(expect.arrayContaining(['authorization', 'content-type', 'x-namespace']));
      expect(res.headers.get('vary')).toMatch(/Origin/);
    }
  });

  it('refuses other origins’ preflight and gives them no CORS headers', async () => {
    const res = await preflight('http://evil.example');
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('puts the CORS headers on answers to the UI, errors included (so the UI can show them)', async () => {
    const ok = await call('decode', { payloads: [] }, { origin: UI_ORIGIN, authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const denied = await call('decode', { payloads: [] }, { origin: UI_ORIGIN });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const other = await call(
      'decode',
      { payloads: [] },
      { origin: 'http://evil.example', authorization: `Bearer ${TOKEN}` }
    );
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});
