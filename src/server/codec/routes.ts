/**
 * The codec server (docs/payload-encryption.md): Temporal's remote codec protocol, used by the Web UI
 * (`--ui-codec-endpoint`, TEMPORAL_CODEC_ENDPOINT, Temporal Cloud's codec server setting) and the CLI
 * (`temporal workflow show --codec-endpoint <base>/codec --codec-auth 'Bearer …'`):
 *
 *   POST /codec/encode   { "payloads": [{ "metadata": { "<key>": "<base64>" }, "data": "<base64>" }] }
 *   POST /codec/decode   same shape in and out; header X-Namespace (the namespace the payloads belong to)
 *
 * Mount with `app.use(createCodecRouter({ codec, tokens, guard, allowedOrigins }))` on the operator listener; the
 * endpoint to give the UI and CLI is then `<operator base URL>/codec`.
 *
 * Auth (server/access.ts): decode takes a codec or an operator token, encode an operator token, as
 * `Authorization: Bearer <token>` compared in constant time; with `oidc`, the Web UI's signed-in users decode with
 * the access token the UI passes (codec/oidc.ts). 401 otherwise, counted toward the source's allowance of
 * refusals; 403 for a right token of another role. CORS: browser origins in
 * `allowedOrigins` (e.g. http://localhost:8233 for the dev server's UI) get their preflight answered and the
 * response headers, credentials allowed; other origins get no CORS headers (the browser then blocks them).
 * `originsWithoutToken` (development only, loopback listener only): requests carrying exactly one of these
 * `Origin`s are served without a token, because the dev server's UI cannot be configured to send one.
 * Errors: 400 `{ error }` for a body that is not JSON or not the protocol's shape and for a payload that
 * cannot be decrypted (unknown key id, altered data); payload contents are never logged or echoed.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.js';
import {
  bearerToken,
  CODEC_OR_OPERATOR,
  createAccessControl,
  forbidden,
  OPERATOR_ONLY,
  UNAUTHORIZED_ERROR,
  type AccessTokens,
  type Role,
} from '../access.js';
import type { RefusalGuard } from '../rate-limit.js';
import type { TokenVerifier } from './oidc.js';

export const CODEC_BASE_PATH = '/codec';
export const CODEC_ALLOWED_HEADERS = 'authorization, authorization-extras, content-type, x-namespace';

export interface CodecRouteDeps {
  codec: PayloadCodec;
  /** Bearer tokens by role: decode takes a codec or operator token, encode an operator token (server/access.ts). */
  tokens: AccessTokens;
  /**
   * The Web UI's signed-in users (codec/oidc.ts): their OIDC access token (or ID token, in Authorization-Extras)
   * counts as a codec token, so they may decode. Omitted: only the tokens above.
   */
  oidc?: TokenVerifier;
  /** Browser origins allowed by CORS (scheme://host:port, no trailing slash), e.g. the Web UI's. */
  allowedOrigins?: readonly string[];
  /** Development only: browser origins served without a token (the dev server's UI sends none). */
  originsWithoutToken?: readonly string[];
  /** When set, a request naming another namespace in X-Namespace is refused. */
  namespace?: string;
  logger?: Logger;
  /** The refusal allowance per source, shared with the admin API: wrong tokens count, a right one is never limited. */
  guard: RefusalGuard;
  /** Largest request body (default 8 MiB: the UI decodes a page of history events at once). */
  bodyLimit?: string;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const Base64 = z
  .string()
  .max(16 * 1024 * 1024)
  .refine((s) => BASE64.test(s) && s.length % 4 !== 1, 'must be base64');
const JsonPayload = z.object({
  metadata: z.record(z.string().max(256), Base64).optional(),
  data: Base64.optional(),
});
export const CodecBody = z.object({ payloads: z.array(JsonPayload).max(100_000) });
type JsonPayload = z.infer<typeof JsonPayload>;

export function createCodecRouter(deps: CodecRouteDeps): Router {
  const router = express.Router();
  const json = express.json({ limit: deps.bodyLimit ?? '8mb', type: () => true });
  const allow = codecAccess(deps);
  router.use(CODEC_BASE_PATH, corsFor(new Set(deps.allowedOrigins ?? [])));
  router.post(`${CODEC_BASE_PATH}/encode`, allow(OPERATOR_ONLY), json, codecHandler(deps, 'encode'));
  router.post(`${CODEC_BASE_PATH}/decode`, allow(CODEC_OR_OPERATOR), json, codecHandler(deps, 'decode'));
  router.use(CODEC_BASE_PATH, (err: unknown, _req: Request, res: Response, next: NextFunction) => {
    const type = (err as { type?: string }).type;
    if (type === 'entity.parse.failed') return void res.status(400).json({ error: 'body is not valid JSON' });
    if (type === 'entity.too.large') return void res.status(413).json({ error: 'body too large' });
    next(err);
  });
  return router;
}

/** CORS for the Web UIs' origins: their preflight answered, their answers readable; other origins get nothing. */
function corsFor(allowed: ReadonlySet<string>): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    if (origin !== undefined && allowed.has(origin)) {
      res.vary('Origin');
      res.set('Access-Control-Allow-Origin', origin);
      res.set('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      if (origin === undefined || !allowed.has(origin)) {
        res.status(403).json({ error: 'origin not allowed to use the codec server' });
        return;
      }
      res.set('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.set('Access-Control-Allow-Headers', CODEC_ALLOWED_HEADERS);
      res.set('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * The token first: one of `roles` passes, another role gets 403; a Web UI user's OIDC token counts as a codec
 * token; without a right token, a development UI origin (`originsWithoutToken`) passes, and anything else is
 * refused with 401, counted toward the source's allowance.
 */
function codecAccess(deps: CodecRouteDeps): (roles: readonly Role[]) => RequestHandler {
  const withoutToken = new Set(deps.originsWithoutToken ?? []);
  const access = createAccessControl(deps.tokens, deps.guard, 'codec');
  const signedInUser = async (req: Request): Promise<boolean> => {
    if (!deps.oidc) return false;
    for (const token of [bearerToken(req), req.get('authorization-extras') ?? '']) {
      if (await deps.oidc(token)) return true;
    }
    return false;
  };
  return (roles) => async (req, res, next) => {
    const role = access.roleOf(req);
    if (role !== undefined && roles.includes(role)) return next();
    if (role !== undefined) return void res.status(403).json({ error: forbidden(role, roles) });
    if (roles.includes('codec') && (await signedInUser(req))) return next();
    const origin = req.get('origin');
    if (origin !== undefined && withoutToken.has(origin)) return next();
    deps.guard.refuse(req, res, 'codec', 'codec request refused: missing or wrong bearer token', () =>
      res.status(401).json({ error: UNAUTHORIZED_ERROR })
    );
  };
}

function codecHandler(deps: CodecRouteDeps, direction: 'encode' | 'decode') {
  return async (req: Request, res: Response): Promise<void> => {
    const namespace = req.get('x-namespace');
    if (deps.namespace !== undefined && namespace !== undefined && namespace !== deps.namespace) {
      res
        .status(400)
        .json({ error: `this codec server serves namespace "${deps.namespace}", not the one in X-Namespace` });
      return;
    }
    const body = CodecBody.safeParse(req.body);
    if (!body.success) {
      const issue = body.error.issues[0];
      const where = issue ? issue.path.join('.') || 'body' : 'body';
      res.status(400).json({
        error: `body must be {"payloads": [{"metadata": {...base64}, "data": "base64"}]}: ${where}: ${issue?.message ?? 'invalid'}`,
      });
      return;
    }
    let out: Payload[];
    try {
      const payloads = body.data.payloads.map(fromJson);
      out = direction === 'encode' ? await deps.codec.encode(payloads) : await deps.codec.decode(payloads);
    } catch (err) {
      deps.logger?.warn(
        { err: (err as Error).message, namespace, count: body.data.payloads.length },
        `codec ${direction} refused`
      );
      res.status(400).json({ error: (err as Error).message });
      return;
    }
    res.json({ payloads: out.map(toJson) });
  };
}

function fromJson(p: JsonPayload): Payload {
  const metadata: Record<string, Uint8Array> = {};
  for (const [key, value] of Object.entries(p.metadata ?? {})) metadata[key] = Buffer.from(value, 'base64');
  return { metadata, data: Buffer.from(p.data ?? '', 'base64') };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  const metadata: Record<string, string> = {};
  for (const [key, value] of Object.entries(p.metadata ?? {})) {
    if (value) metadata[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
  }
  const data = p.data ?? new Uint8Array();
  return { metadata, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64') };
}
