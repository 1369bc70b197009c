/**
 * What the Temporal Web UI sends the codec when its users sign in with OIDC (TEMPORAL_AUTH_ENABLED) and it passes
 * their access token (TEMPORAL_CODEC_PASS_ACCESS_TOKEN): `Authorization: Bearer <access token>`, and the ID token
 * in `Authorization-Extras`. A token is accepted when it is a JWT signed by a key of the configured issuer
 * (CODEC_OIDC_ISSUER; its keys found by OpenID Connect discovery, or CODEC_OIDC_JWKS_URL), for the configured
 * audience (CODEC_OIDC_AUDIENCE), unexpired. Verification by `jose`; asymmetric algorithms only.
 */
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

export interface OidcSettings {
  /** The issuer (`iss`) tokens must name, e.g. https://login.example.com/realms/ops. */
  issuer: string;
  /** The audience (`aud`) tokens must be for: the API the access tokens are for, or the UI's client id. */
  audience: string;
  /** The issuer's key set; unset, it is found at `<issuer>/.well-known/openid-configuration`. */
  jwksUrl?: string;
}

/** Resolves true for a token of the issuer for the audience; never throws. */
export type TokenVerifier = (token: string) => Promise<boolean>;

const ASYMMETRIC = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function createOidcVerifier(settings: OidcSettings, fetchJson = defaultFetchJson): TokenVerifier {
  let keys: Promise<JWTVerifyGetKey> | undefined;
  const keySet = async (): Promise<JWTVerifyGetKey> => {
    keys ??= jwksUrlOf(settings, fetchJson).then((url) => createRemoteJWKSet(new URL(url)));
    try {
      return await keys;
    } catch (err) {
      keys = undefined; // a failed discovery is tried again on the next request
      throw err;
    }
  };
  return async (token) => {
    if (!JWT_SHAPE.test(token)) return false;
    try {
      await jwtVerify(token, await keySet(), {
        issuer: settings.issuer,
        audience: settings.audience,
        algorithms: ASYMMETRIC,
      });
      return true;
    } catch {
      return false;
    }
  };
}

async function jwksUrlOf(settings: OidcSettings, fetchJson: typeof defaultFetchJson): Promise<string> {
  if (settings.jwksUrl) return settings.jwksUrl;
  const discovery = (await fetchJson(`${settings.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`)) as {
    issuer?: unknown;
    jwks_uri?: unknown;
  };
  if (discovery.issuer !== settings.issuer || typeof discovery.jwks_uri !== 'string') {
    throw new Error('the OpenID configuration names another issuer or no jwks_uri');
  }
  return discovery.jwks_uri;
}

async function defaultFetchJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}
