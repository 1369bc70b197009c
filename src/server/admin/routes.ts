/**
 * The admin API (docs/operating.md), behind bearer tokens by role (server/access.ts); every route, its
 * roles and its schemas are in the OpenAPI document (server/openapi.ts, `GET /openapi.json`):
 *   integration or operator
 *   PUT  /accounts/:accountId/contact {email?, timeZone?, locale?}        the owner's contact, kept with the account
 *   GET  /accounts/:accountId/status                                     { state, since, needsReauth }
 *   GET  /accounts/:accountId/reauth-link                                a freshly signed link: 200, or 409
 *   operator
 *   GET  /accounts?state=&escalated=&institution=&pageSize=&pageToken=   visibility listing
 *   GET  /accounts/:accountId                                            the `state` query
 *   POST /accounts/:accountId/retry   {reason?}                           the `retrySync` update: 202 or 409
 *   POST /accounts/:accountId/reauth-link {reason?}                       the `resendReauthLink` update: 202 or 409
 *   GET  /accounts/:accountId/notices                                    notices in delivery and dead letters
 *   POST /accounts/:accountId/notices/redeliver {noticeIds?, since?}     the `redeliverNotices` update: 202 or 409
 *   GET  /notices/undelivered?since=&limit=                              dead letters of every account
 *   GET  /reports/reauth-funnel?since=                                   the re-auth funnel (report-routes.ts)
 *   (bulk jobs, redelivering every account's dead letters included, are in job-routes.ts)
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { AccountNotFound, InvalidPageToken, RequestRefused, type AccountWorkflows } from '../../accounts/client.js';
import type { Logger } from '../../lib/logger.js';
import type { ReauthLinks } from '../../lib/reauth-link.js';
import { linkLanguage } from '../../messages/locale.js';
import { INTEGRATION_OR_OPERATOR, OPERATOR_ONLY, type AccessControl } from '../access.js';
import {
  AccountIdParam,
  ContactBody,
  issues,
  ListQuery,
  OperatorBody,
  RedeliverBody,
  UndeliveredQuery,
} from './schemas.js';
import { createReportRouter } from './report-routes.js';

export interface AdminDeps {
  /** The admin surface's access control (tokens by role, the shared refusal guard). */
  access: AccessControl;
  accounts: AccountWorkflows;
  /** Signs the links GET /accounts/:accountId/reauth-link gives. */
  links: ReauthLinks;
  logger: Logger;
  now?: () => number;
}

export function createAdminRouter(deps: AdminDeps): Router {
  const router = express.Router();
  addIntegrationRoutes(router, deps);
  addAccountRoutes(router, deps);
  addOperatorActions(router, deps);
  addNoticeRoutes(router, deps);
  router.use(createReportRouter(deps));
  router.use('/accounts', mapAccountErrors);
  router.use('/notices', mapAccountErrors);
  return router;
}

const json = express.json({ limit: '16kb' });

/** What a customer's app backend needs: the owner's contact, the account's status, a re-auth link. */
function addIntegrationRoutes(router: Router, { access, accounts, links, logger, now = Date.now }: AdminDeps): void {
  const allowed = access.allow(INTEGRATION_OR_OPERATOR);
  router.put('/accounts/:accountId/contact', allowed, json, async (req, res) => {
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

  router.get('/accounts/:accountId/status', allowed, async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    if (!id.success) return void res.status(400).json({ error: 'accountId is not an account id' });
    const { state, since } = await accounts.show(id.data);
    res.json({ state, since, needsReauth: state === 'reauth_required' });
  });

  router.get('/accounts/:accountId/reauth-link', allowed, async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    if (!id.success) return void res.status(400).json({ error: 'accountId is not an account id' });
    const { state, institution, contact } = await accounts.show(id.data);
    if (state !== 'reauth_required') {
      res.status(409).json({ error: `the account does not need re-auth (its state is ${state ?? 'not known yet'})` });
      return;
    }
    const { url, expiresAt } = links.issue(id.data, now(), linkLanguage(contact?.locale));
    logger.info({ accountId: id.data }, 're-auth link issued (admin API)');
    res.json({ url, expiresAt, state, institution });
  });
}

/** Listing and one account's state. */
function addAccountRoutes(router: Router, { access, accounts }: AdminDeps): void {
  const operator = access.allow(OPERATOR_ONLY);
  router.get('/accounts', operator, async (req, res) => {
    const query = ListQuery.safeParse(req.query);
    if (!query.success) {
      res.status(400).json({ error: query.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    const { pageSize, pageToken, ...filter } = query.data;
    res.json(await accounts.list(filter, { pageSize, pageToken: pageToken ?? null }));
  });

  router.get('/accounts/:accountId', operator, async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    if (!id.success) {
      res.status(400).json({ error: 'accountId is not an account id' });
      return;
    }
    res.json(await accounts.show(id.data));
  });
}

/** The operator's updates on one account: validated id and `{reason?}` body, 202 with the workflow's answer. */
function addOperatorActions(router: Router, { access, accounts, logger }: AdminDeps): void {
  const operator = access.allow(OPERATOR_ONLY);
  const operatorAction = <T extends object>(
    path: string,
    what: string,
    act: (id: string, reason?: string) => Promise<T>
  ) =>
    router.post(`/accounts/:accountId/${path}`, operator, json, async (req, res) => {
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
function addNoticeRoutes(router: Router, { access, accounts, logger }: AdminDeps): void {
  const operator = access.allow(OPERATOR_ONLY);
  router.get('/accounts/:accountId/notices', operator, async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    if (!id.success) return void res.status(400).json({ error: 'accountId is not an account id' });
    res.json(await accounts.notices(id.data));
  });

  router.post('/accounts/:accountId/notices/redeliver', operator, json, async (req, res) => {
    const id = AccountIdParam.safeParse(req.params.accountId);
    const body = RedeliverBody.safeParse(req.body ?? {});
    if (!id.success) return void res.status(400).json({ error: 'accountId is not an account id' });
    if (!body.success) return void res.status(400).json({ error: issues(body.error) });
    const accepted = await accounts.redeliverNotices(id.data, body.data);
    logger.info({ accountId: id.data, requeued: accepted.requeued.length }, 'notices redelivered (admin API)');
    res.status(202).json(accepted);
  });

  router.get('/notices/undelivered', operator, async (req, res) => {
    const query = UndeliveredQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: issues(query.error) });
    const notices = [];
    for await (const letter of accounts.undeliveredAll(query.data.since)) {
      notices.push(letter);
      if (notices.length >= query.data.limit) break;
    }
    res.json({ notices, truncated: notices.length >= query.data.limit });
  });
}

function mapAccountErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (err instanceof AccountNotFound) return void res.status(404).json({ error: err.message });
  if (err instanceof InvalidPageToken) return void res.status(400).json({ error: err.message });
  if (err instanceof RequestRefused) return void res.status(409).json({ error: err.message });
  next(err);
}
