/**
 * The codec's OIDC sign-in (src/server/codec/oidc.ts): tokens verified with jose against a real issuer on
 * loopback (discovery, key set), and the codec router taking a signed-in user's token for decode only.
 */
import express from 'express';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodecRouter } from '../../src/server/codec/routes.js';
import { createOidcVerifier } from '../../src/server/codec/oidc.js';
import { AesGcmCodec, generateCodecKeyEntry, parseCodecKeys } from '../../src/temporal/codec.js';
import { testRefusalGuard, tokensFor } from '../helpers/access.js';
import { testServers } from '../helpers/listen.js';
import { startTestIssuer, type TestIssuer } from '../helpers/oidc-issuer.js';

let issuer: TestIssuer;
const servers = testServers();
beforeAll(async () => {
  issuer = await startTestIssuer();
});
afterAll(async () => {
  await servers.closeAll();
  await issuer?.close();
});

describe('createOidcVerifier', () => {
  it('accepts a token of the issuer for the audience, found by discovery or by CODEC_OIDC_JWKS_URL', async () => {
    const token = await issuer.token();
    expect(await createOidcVerifier({ issuer: issuer.issuer, audience: 'temporal-ui' })(token)).toBe(true);
    const byUrl = createOidcVerifier({ issuer: issuer.issuer, audience: 'temporal-ui', jwksUrl: issuer.jwksUrl });
    expect(await byUrl(token)).toBe(true);
  });

  it('refuses another audience, another issuer, an expired token, another key, and what is not a JWT', async () => {
    const verify = createOidcVerifier({ issuer: issuer.issuer, audience: 'temporal-ui' });
    const refused = [
      await issuer.token({ audience: 'another-app' }),
      await issuer.token({ issuer: 'https://elsewhere.example.com' }),
      await issuer.token({ ttlSeconds: -120 }),
      await issuer.token({ key: 'stranger' }),
      // A symmetric signature with the public key's text as its secret (the classic algorithm confusion).
      await new SignJWT({})
        .setProtectedHeader({ alg: 'HS256', kid: 'test-key' })
        .setIssuer(issuer.issuer)
        .setAudience('temporal-ui')
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode('secret')),
      'not-a-jwt',
      '',
    ];
    for (const token of refused) expect(await verify(token), token.slice(0, 40)).toBe(false);
  });

  it('refuses everything when discovery names another issuer', async () => {
    const verify = createOidcVerifier({ issuer: `${issuer.issuer}/`, audience: 'temporal-ui' });
    expect(await verify(await issuer.token({ issuer: `${issuer.issuer}/` }))).toBe(false);
  });
});

describe('the codec with OIDC', () => {
  let base = '';
  beforeAll(async () => {
    const app = express().use(
      createCodecRouter({
        codec: new AesGcmCodec(parseCodecKeys(generateCodecKeyEntry('k1'))),
        tokens: tokensFor({ operator: ['operator-token-0123456789abcdefghijkl'] }),
        guard: testRefusalGuard(),
        oidc: createOidcVerifier({ issuer: issuer.issuer, audience: 'temporal-ui' }),
        allowedOrigins: ['https://temporal.example.com'],
      })
    );
    base = await servers.listen(app);
  });
  const call = async (direction: string, headers: Record<string, string>) =>
    (
      await fetch(`${base}/codec/${direction}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ payloads: [] }),
      })
    ).status;

  it('lets a signed-in user decode (access token, or ID token in Authorization-Extras), not encode', async () => {
    const token = await issuer.token();
    expect(await call('decode', { authorization: `Bearer ${token}` })).toBe(200);
    expect(await call('decode', { authorization: 'Bearer opaque-access-token', 'authorization-extras': token })).toBe(
      200
    );
    expect(await call('encode', { authorization: `Bearer ${token}` })).toBe(401);
    expect(await call('decode', { authorization: `Bearer ${await issuer.token({ audience: 'other' })}` })).toBe(401);
  });

  it('lets the UI send Authorization-Extras across origins (preflight)', async () => {
    const res = await fetch(`${base}/codec/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://temporal.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,authorization-extras,content-type,x-namespace',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('authorization-extras');
  });
});
