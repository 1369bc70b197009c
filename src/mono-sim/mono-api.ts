/** The Mono endpoints the service calls, behind Mono's `mono-sec-key` check (docs/mono-events.md). */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { SimAccounts } from './accounts.js';
import {
  ACCOUNT_NOT_FOUND,
  accountDetailsV1,
  accountDetailsV2,
  DEFAULT_INSTITUTION,
  INVALID_KEY,
  syncAnswer,
  tooSoonAnswer,
  type MonoAnswer,
} from './answers.js';
import type { SimTraffic } from './traffic.js';
import type { WebhookSender } from './webhooks.js';

export interface MonoApiDeps {
  accounts: SimAccounts;
  traffic: SimTraffic;
  webhooks: WebhookSender;
  secretKey: string;
  now: () => number;
  /** Send `account_updated` after a successful manual sync, as Mono does. */
  emitAccountUpdatedAfterSync: boolean;
}

/** Records the call in the log, then sends the answer. */
type Reply = (req: Request, res: Response, accountId: string | null, answer: MonoAnswer) => void;

export function monoApi(deps: MonoApiDeps): Router {
  const { accounts, webhooks, now } = deps;
  const router = express.Router();
  const reply = replier(deps.traffic);
  const institutionOf = (id: string): string => accounts.scenario(id)?.institution ?? DEFAULT_INSTITUTION;
  router.use(...guards(deps, reply));
  router.post('/accounts/:id/sync', syncRoute(deps, reply));
  router.post('/accounts/:id/reauthorise', (req, res) => {
    const { id } = req.params;
    reply(req, res, id, { status: 200, body: { token: `sim_reauth_${id.slice(-6)}_${now().toString(36)}` } });
  });
  router.get('/accounts/:id', (req, res) => {
    const { id } = req.params;
    reply(req, res, id, { status: 200, body: accountDetailsV1(id, institutionOf(id), accounts.state(id).dataStatus) });
  });
  router.get('/v2/accounts/:id', (req, res) => {
    const { id } = req.params;
    const body = accountDetailsV2(id, institutionOf(id), accounts.state(id).dataStatus, now());
    reply(req, res, id, { status: 200, body });
  });
  router.post('/accounts/:id/unlink', (req, res) => {
    const { id } = req.params;
    accounts.unlink(id);
    reply(req, res, id, { status: 200, body: { status: 'successful', message: 'Account unlinked successfully' } });
    webhooks.sendFollowUp({ event: 'account_unlinked', accountId: id });
  });
  router.use((req, res) => {
    res.status(404).json({ status: 'failed', message: `Cannot ${req.method} ${req.path}` });
  });
  return router;
}

/** What every Mono request goes through, in order: the key, the rate count, unlinked accounts, delays. */
function guards({ accounts, traffic, secretKey }: MonoApiDeps, reply: Reply): RequestHandler[] {
  const requireKey: RequestHandler = (req, res, next) => {
    if (req.get('mono-sec-key') === secretKey) return next();
    reply(req, res, null, INVALID_KEY);
  };
  const countRequest: RequestHandler = (_req, _res, next) => {
    traffic.countRequest();
    next();
  };
  // An account unlinked on Mono's side is unknown to every endpoint.
  const unknownOnceUnlinked: RequestHandler = (req, res, next) => {
    const id = accountIdInPath(req);
    if (id === undefined || accounts.state(id).linked) return next();
    reply(req, res, id, ACCOUNT_NOT_FOUND);
  };
  const scenarioDelay: RequestHandler = async (req, _res, next) => {
    const id = accountIdInPath(req);
    const delay = id === undefined ? undefined : accounts.scenario(id)?.delayMs;
    if (delay) await sleep(delay);
    next();
  };
  return [requireKey, countRequest, unknownOnceUnlinked, scenarioDelay];
}

function syncRoute(
  { accounts, webhooks, now, emitAccountUpdatedAfterSync }: MonoApiDeps,
  reply: Reply
): RequestHandler<{ id: string }> {
  return async (req, res) => {
    const { id } = req.params;
    const start = accounts.startSync(id, now());
    if (start.kind === 'too_soon') return reply(req, res, id, tooSoonAnswer(start.retryAfterSeconds));
    const { behaviour, scenario } = start;
    if (behaviour === 'slow') await sleep(scenario.delayMs ?? 5_000);
    reply(req, res, id, syncAnswer(behaviour, scenario));
    if ((behaviour === 'success' || behaviour === 'slow') && emitAccountUpdatedAfterSync) {
      webhooks.sendFollowUp({ event: 'account_updated', accountId: id, dataStatus: 'AVAILABLE' });
    }
  };
}

function replier(traffic: SimTraffic): Reply {
  return (req, res, accountId, answer) => {
    traffic.record({ method: req.method, path: req.path, accountId, status: answer.status, code: answer.code });
    res.status(answer.status);
    if (answer.retryAfterSeconds !== undefined) res.set('Retry-After', String(answer.retryAfterSeconds));
    if (answer.html) res.type('text/html').send(answer.body);
    else res.json(answer.body);
  };
}

/** The account id in any `/accounts/{id}` path, before a route has parsed it. */
function accountIdInPath(req: Request): string | undefined {
  const id = /\/accounts\/([^/]+)/.exec(req.path)?.[1];
  return id === undefined ? undefined : decodeURIComponent(id);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
