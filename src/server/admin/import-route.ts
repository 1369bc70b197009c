/**
 * `POST /accounts/import` (README, "Import existing accounts"), behind an operator token:
 *   {"accountIds": ["…", …], "dryRun"?: true}   at most 10,000 ids
 * → 200 with the preview (dry run, or nothing new), or 202 once every new account's workflow has been started
 * and told to learn its state from Mono (which it then does at MONO_MAX_RPS). Idempotent: known ids are skipped.
 * Mounted before the admin router so that its body may be larger than the admin API's 16 KB.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { AccountWorkflows } from '../../accounts/client.js';
import { AccountIdSchema, MAX_IDS_PER_REQUEST, planImport, runImport } from '../../accounts/import.js';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import { OPERATOR_ONLY, type AccessControl } from '../access.js';

export const ImportBody = z
  .object({
    accountIds: z
      .array(AccountIdSchema)
      .min(1, 'give at least one account id')
      .max(MAX_IDS_PER_REQUEST, `give at most ${MAX_IDS_PER_REQUEST} ids per request (split the list)`),
    dryRun: z.boolean().optional(),
  })
  .strict();

export interface ImportRouteDeps {
  /** The admin surface's access control: import takes an operator token. */
  access: AccessControl;
  accounts: AccountWorkflows;
  logger: Logger;
  metrics: Metrics;
}

export function createImportRouter({ access, accounts, logger, metrics }: ImportRouteDeps): Router {
  const router = express.Router();
  router.post('/accounts/import', access.allow(OPERATOR_ONLY), express.json({ limit: '1mb' }), async (req, res) => {
    const body = ImportBody.safeParse(req.body ?? {});
    if (!body.success) {
      // Issues name the index of a bad id, never its value.
      const error = body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');
      res.status(400).json({ error: `${error.slice(0, 500)} (body: {"accountIds": ["…"], "dryRun"?: true})` });
      return;
    }
    const ids = [...new Set(body.data.accountIds)];
    const plan = await planImport(accounts, ids);
    const preview = { total: plan.total, new: plan.newIds.length, known: plan.known };
    metrics.enrolments.inc({ outcome: 'known' }, plan.known);
    if (body.data.dryRun || plan.newIds.length === 0) {
      res.status(200).json({ dryRun: body.data.dryRun ?? false, ...preview, started: 0, failed: 0 });
      return;
    }
    const result = await runImport(accounts, plan.newIds, { source: 'admin-api' });
    metrics.enrolments.inc({ outcome: 'started' }, result.started);
    metrics.enrolments.inc({ outcome: 'closed' }, result.closed);
    metrics.enrolments.inc({ outcome: 'failed' }, result.failed);
    logger.info({ ...preview, started: result.started, failed: result.failed }, 'accounts imported (admin API)');
    res.status(202).json({
      dryRun: false,
      ...preview,
      started: result.started,
      closed: result.closed,
      failed: result.failed,
      failures: result.failures.slice(0, 100),
    });
  });
  return router;
}
