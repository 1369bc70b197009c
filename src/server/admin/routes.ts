/**
 * The admin API (README, "Operator's guide"), behind `Authorization: Bearer $ADMIN_TOKEN` compared in constant time:
 *   GET  /accounts?state=&escalated=&institution=&pageSize=&pageToken=   visibility listing
 *   GET  /accounts/:accountId                                            the `state` query
 *   POST /accounts/:accountId/retry   {reason?}                           the `retrySync` update: 202 or 409
 *   POST /accounts/:accountId/reauth-link {reason?}                       the `resendReauthLink` update: 202 or 409
 *   PUT  /accounts/:accountId/contact {email?, timeZone?}                 the owner's contact, kept with the account
 *   GET  /accounts/:accountId/notices                                    notices in delivery and dead letters
 *   POST /accounts/:accountId/notices/redeliver {noticeIds?, since?}     the `redeliverNotices` update: 202 or 409
 *   GET  /notices/undelivered?since=&limit=                              dead letters of every account
 *   POST /notices/redeliver {since?}                                     redeliver every account's dead letters
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { z } from 'zod';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import type { RefusalGuard } from '../rate-limit.js';
import { forEachConcurrently } from '../../lib/concurrently.js';
import { AccountNotFound, InvalidPageToken, RequestRefused, type AccountWorkflows } from '../../accounts/client.js';
import { AccountFilter } from '../../accounts/query.js';
import { ACCOUNT_ID_PATTERN } from '../../workflows/account-lifecycle/api/messages.js';
import { isValidTimeZone } from '../../workflows/account-lifecycle/model/quiet-hours.js';

const AccountIdParam = z.string().regex(ACCOUNT_ID_PATTERN, 'is not an account id');
const ListQuery = AccountFilter.extend({
  escalated: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  pageToken: z.string().max(4096).optional(),
});
const OperatorBody = z.object({ reason: z.string().max(200).optional() }).strict();
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time, e.g. 2026-12-01T00:00:00Z' });
const RedeliverBody = z
  .object({ noticeIds: z.array(z.string().min(1).max(200)).min(1).max(100).optional(), since: isoTime.optional() })
  .strict();
const RedeliverAllBody = z.object({ since: isoTime.optional() }).strict();
const UndeliveredQuery = z
  .object({ since: isoTime.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000) })
  .strict();
/** Accounts redelivered at once by POST /notices/redeliver. */
const REDELIVER_CONCURRENCY = 8;

const issues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
const ContactBody = z
  .object({
    email: z.email('must be an email address').max(254).nullable().optional(),
    timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone, e.g. Africa/Lagos').nullable().optional(),
  })
  .strict()
  .refine((c) => c.email !== undefined || c.timeZone !== undefined, 'give email and/or timeZone (null clears one)');

export interface AdminDeps {
  token: string;
  accounts: AccountWorkflows;
  logger: Logger;
  metrics: Metrics;
  /** The refusal allowance per source the operator surfaces share (admin API, import, codec). */
  guard: RefusalGuard;
}

/**
 * Bearer-token authentication (constant time). The token is checked first; a wrong or missing one counts toward
 * its source's allowance of refusals (server/rate-limit.ts), a right one is never limited.
 */
export function createBearerAuth(token: string, guard: RefusalGuard): RequestHandler {
  const expected = createHash('sha256').update(token).digest();
  const unauthorized = (res: Response) => () =>
    void res.status(401).json({ error: 'missing or wrong bearer token (Authorization: Bearer $ADMIN_TOKEN)' });
  return (req, res, next) => {
    const presented = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    const ok = timingSafeEqual(createHash('sha256').update(presented).digest(), expected) && presented.length > 0;
    if (ok) return next();
    guard.refuse(req, res, 'admin', 'admin request refused: missing or wrong bearer token', unauthorized(res));
  };
}

export function createAdminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  const authenticate = createBearerAuth(deps.token, deps.guard);
  router.use('/accounts', authenticate, express.json({ limit: '16kb' }));
  router.use('/notices', authenticate, express.json({ limit: '16kb' }));
  addAccountRoutes(router, deps);
  addOperatorActions(router, deps);
  addNoticeRoutes(router, deps);
  router.use('/accounts', mapAccountErrors);
  router.use('/notices', mapAccountErrors);
  return router;
}

/** Listing, one account's state, and the owner's contact. */
function addAccountRoutes(router: Router, { accounts, logger }: AdminDeps): void {
  router.get('/accounts', async (req, res) => {
    const query = ListQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({ error: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    const { pageSize, pageToken, ...filter } = query.data;
    res.json(await accounts.list(filter, { pageSize, pageToken: pageToken ?? null }));
  });

  router.get('/accounts/:accountId', async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    if (!id.success) {
      res.status(400).json({ error: 'accountId is not an account id' });
      return;
    }
    res.json(await accounts.show(id.data));
  });

  router.put('/accounts/:accountId/contact', async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    const body = ContactBody.safeParse(req.body ?? {});
    if (!id.success) return void res.status(400).json({ error: 'accountId is not an account id' });
    if (!body.success) return void res.status(400).json({ error: issues(body.error) });
    await accounts.setContact(id.data, body.data);
    logger.info(
      { accountId: id.data, email: body.data.email === undefined ? 'unchanged' : body.data.email ? 'set' : 'cleared' },
      'owner contact registered'
    );
    res.status(202).json({ accepted: true });
  });
}

/** The operator's updates on one account: validated id and `{reason?}` body, 202 with the workflow's answer. */
function addOperatorActions(router: Router, { accounts, logger }: AdminDeps): void {
  const operatorAction = <T extends object>(
    path: string,
    what: string,
    act: (id: string, reason?: string) => Promise<T>
  ) =>
    router.post(`/accounts/:accountId/${path}`, async (req, res) => {
      const id = AccountIdParam.safeParse(req.params.accountId);
      const body = OperatorBody.safeParse(req.body ?? {});
      if (!id.success || !body.success) {
        res.status(400).json({
          error: id.success
            ? 'body must be {} or {"reason": "…"} (at most 200 characters)'
            : 'accountId is not an account id',
        });
        return;
      }
      const accepted = await act(id.data, body.data.reason);
      logger.info({ accountId: id.data, ...(accepted as Record<string, unknown>) }, `${what} accepted (admin API)`);
      res.status(202).json(accepted);
    });
  operatorAction('retry', 'operator retry', (id, reason) => accounts.retry(id, reason));
  operatorAction('reauth-link', 'operator re-auth link resend', (id, reason) => accounts.resendReauthLink(id, reason));
}

/** Notices in delivery and dead letters, of one account and of all. */
function addNoticeRoutes(router: Router, { accounts, logger }: AdminDeps): void {
  router.get('/accounts/:accountId/notices', async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    if (!id.success) return void res.status(400).json({ error: 'accountId is not an account id' });
    res.json(await accounts.notices(id.data));
  });

  router.post('/accounts/:accountId/notices/redeliver', async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    const body = RedeliverBody.safeParse(req.body ?? {});
    if (!id.success) return void res.status(400).json({ error: 'accountId is not an account id' });
    if (!body.success) return void res.status(400).json({ error: issues(body.error) });
    const accepted = await accounts.redeliverNotices(id.data, body.data);
    logger.info({ accountId: id.data, requeued: accepted.requeued.length }, 'notices redelivered (admin API)');
    res.status(202).json(accepted);
  });

  router.get('/notices/undelivered', async (req, res) => {
    const query = UndeliveredQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: issues(query.error) });
    const notices = [];
    for await (const letter of accounts.undeliveredAll(query.data.since)) {
      notices.push(letter);
      if (notices.length >= query.data.limit) break;
    }
    res.json({ notices, truncated: notices.length >= query.data.limit });
  });

  router.post('/notices/redeliver', async (req, res) => {
    const body = RedeliverAllBody.safeParse(req.body ?? {});
    if (!body.success) return void res.status(400).json({ error: issues(body.error) });
    const summary = await redeliverEverywhere(accounts, body.data.since);
    logger.info({ ...summary, outcomes: undefined }, 'notices of every account redelivered (admin API)');
    res.status(202).json(summary);
  });
}

function mapAccountErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (err instanceof AccountNotFound) return void res.status(404).json({ error: err.message });
  if (err instanceof InvalidPageToken) return void res.status(400).json({ error: err.message });
  if (err instanceof RequestRefused) return void res.status(409).json({ error: err.message });
  next(err);
}

/** Redelivers the dead letters (failed since `since`, if given) of every account that has any. */
export async function redeliverEverywhere(accounts: AccountWorkflows, since?: string) {
  const outcomes: Array<{ accountId: string; outcome: 'requeued' | 'refused' | 'failed'; detail: string }> = [];
  let requeued = 0;
  let skipped = 0;
  await forEachConcurrently(accounts.listAll({ undelivered: true }), REDELIVER_CONCURRENCY, async ({ accountId }) => {
    try {
      const accepted = await accounts.redeliverNotices(accountId, since ? { since } : {});
      requeued += accepted.requeued.length;
      skipped += accepted.skipped.length;
      outcomes.push({ accountId, outcome: 'requeued', detail: `${accepted.requeued.length} requeued` });
    } catch (err) {
      const refused = err instanceof RequestRefused || err instanceof AccountNotFound;
      outcomes.push({ accountId, outcome: refused ? 'refused' : 'failed', detail: (err as Error).message });
    }
  });
  const count = (o: string): number => outcomes.filter((x) => x.outcome === o).length;
  return {
    accounts: outcomes.length,
    requeued,
    skipped,
    refused: count('refused'),
    failed: count('failed'),
    outcomes,
  };
}
