/**
 * Reports in the admin API, operator tokens only:
 *   GET /reports/reauth-funnel?since=   owners prompted to re-authorise since a time (default 7d): how many did,
 *                                       how fast (median, p90), by channels and by institution (from visibility)
 */
import express, { type Router } from 'express';
import type { AccountWorkflows } from '../../accounts/client.js';
import { DEFAULT_FUNNEL_WINDOW, parseSince } from '../../accounts/funnel-summary.js';
import { OPERATOR_ONLY, type AccessControl } from '../access.js';
import { FunnelQuery, issues } from './schemas.js';

export interface ReportRouteDeps {
  access: AccessControl;
  accounts: Pick<AccountWorkflows, 'reauthFunnel'>;
  now?: () => number;
}

export function createReportRouter({ access, accounts, now = Date.now }: ReportRouteDeps): Router {
  const router = express.Router();
  router.get('/reports/reauth-funnel', access.allow(OPERATOR_ONLY), async (req, res) => {
    const query = FunnelQuery.safeParse(req.query);
    if (!query.success) return void res.status(400).json({ error: issues(query.error) });
    const nowMs = now();
    let sinceMs: number;
    try {
      sinceMs = parseSince(query.data.since ?? DEFAULT_FUNNEL_WINDOW, nowMs);
    } catch (err) {
      return void res.status(400).json({ error: (err as Error).message });
    }
    res.json(await accounts.reauthFunnel(sinceMs, nowMs));
  });
  return router;
}
