/**
 * Access by role. Every bearer token belongs to one role, each role a rotation list of tokens:
 *   integration  what a customer's app backend needs: register a contact, read an account's status, get a re-auth link
 *   operator     the whole admin API (the integration routes included), import, the codec's encode and decode
 *   codec        decode only: what the Temporal Web UI needs to show payloads
 * A missing or wrong token is refused with 401 and counts toward its source's allowance of refusals
 * (server/rate-limit.ts); a right token of a role without the route gets 403 and is never limited.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { RefusalGuard } from './rate-limit.js';

export const ROLES = ['operator', 'integration', 'codec'] as const;
export type Role = (typeof ROLES)[number];

export type AccessTokens = Readonly<Record<Role, readonly string[]>>;

/** The routes open to each set of roles. */
export const OPERATOR_ONLY: readonly Role[] = ['operator'];
export const INTEGRATION_OR_OPERATOR: readonly Role[] = ['integration', 'operator'];
export const CODEC_OR_OPERATOR: readonly Role[] = ['codec', 'operator'];

export const UNAUTHORIZED_ERROR =
  'missing or wrong bearer token (Authorization: Bearer <a token of a role this route takes>; GET /openapi.json lists them)';

const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The role of a presented token, or undefined. Compares SHA-256 digests in constant time against every token of
 * every role, so timing reveals neither a token nor its role.
 */
export function createRoleLookup(tokens: AccessTokens): (presented: string) => Role | undefined {
  const known = ROLES.flatMap((role) =>
    tokens[role].filter((t) => t.length > 0).map((t) => ({ role, digest: sha256(t) }))
  );
  return (presented) => {
    const candidate = sha256(presented);
    let found: Role | undefined;
    for (const { role, digest } of known) if (timingSafeEqual(candidate, digest)) found ??= role;
    return presented.length > 0 ? found : undefined;
  };
}

/** The token of an `Authorization: Bearer <token>` header ("Bearer" in any case), or ''. */
export function bearerToken(req: Request): string {
  return /^Bearer\s+(.+)$/i.exec(req.get('authorization') ?? '')?.[1]?.trim() ?? '';
}

export interface AccessControl {
  /** Middleware: the request's token must be of one of `roles`; 401 (limited per source) or 403 otherwise. */
  allow(roles: readonly Role[]): RequestHandler;
  /** The role of the request's bearer token, or undefined. */
  roleOf(req: Request): Role | undefined;
}

/** Access control for one surface (`admin`, `codec`) over the service's tokens and the shared refusal guard. */
export function createAccessControl(tokens: AccessTokens, guard: RefusalGuard, surface: string): AccessControl {
  const lookup = createRoleLookup(tokens);
  const roleOf = (req: Request): Role | undefined => lookup(bearerToken(req));
  const unauthorized = (res: Response) => () => void res.status(401).json({ error: UNAUTHORIZED_ERROR });
  return {
    roleOf,
    allow: (roles) => (req, res, next) => {
      const role = roleOf(req);
      if (role === undefined) {
        guard.refuse(req, res, surface, `${surface} request refused: missing or wrong bearer token`, unauthorized(res));
        return;
      }
      if (roles.includes(role)) return next();
      res.status(403).json({ error: forbidden(role, roles) });
    },
  };
}

/** The 403 answer: which role the token has, which the route needs. */
export function forbidden(role: Role, roles: readonly Role[]): string {
  const a = (r: Role): string => (r === 'codec' ? `a ${r}` : `an ${r}`);
  return `${a(role)} token may not use this route; it needs ${roles.map(a).join(' or ')} token`;
}
