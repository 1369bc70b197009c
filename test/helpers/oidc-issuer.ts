/**
 * A small OpenID Connect issuer for tests: discovery document and key set over HTTP on loopback, and access tokens
 * signed with its key (jose), as an identity provider would give the Temporal Web UI's users.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

export interface TestIssuer {
  issuer: string;
  jwksUrl: string;
  /** A token for `audience` (default `temporal-ui`) of this issuer, valid for `ttlSeconds` (default 600). */
  token(claims?: {
    audience?: string;
    ttlSeconds?: number;
    issuer?: string;
    key?: 'own' | 'stranger';
  }): Promise<string>;
  close(): Promise<void>;
}

export async function startTestIssuer(): Promise<TestIssuer> {
  const own = await generateKeyPair('RS256', { extractable: true });
  const stranger = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(own.publicKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };
  let base = '';
  const server: Server = createServer((req, res) => {
    const body =
      req.url === '/.well-known/openid-configuration'
        ? { issuer: base, jwks_uri: `${base}/jwks` }
        : req.url === '/jwks'
          ? { keys: [jwk] }
          : undefined;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sign = (key: CryptoKey, claims: Parameters<TestIssuer['token']>[0] = {}) =>
    new SignJWT({ email: 'operator@example.com' })
      .setProtectedHeader({ alg: 'RS256', kid: 'test-key' })
      .setIssuer(claims.issuer ?? base)
      .setAudience(claims.audience ?? 'temporal-ui')
      .setSubject('operator-1')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (claims.ttlSeconds ?? 600))
      .sign(key);
  return {
    issuer: base,
    jwksUrl: `${base}/jwks`,
    token: (claims = {}) => sign(claims.key === 'stranger' ? stranger.privateKey : own.privateKey, claims),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
