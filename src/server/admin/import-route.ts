/**
 * `POST /accounts/import` (docs/operating.md, "Import existing accounts"), behind an operator token:
 *   {"accountIds": ["…", …], "dryRun"?: true}   at most 10,000 ids
 * → 200 with the preview for a dry run (how many are new, how many known; nothing is counted or started), else
 * 202 with the import job (job-routes.ts), which enrols the new ids a chunk at a time — each account then learns
 * its state from Mono at MONO_MAX_RPS — and 409 while another import runs. Idempotent: known ids are skipped.
 * Mounted before the admin router so that its body may be larger than the admin API's 16 KB.
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { AccountWorkflows } from '../../accounts/client.js';
import { AccountIdSchema, MAX_IDS_PER_REQUEST, planImport } from '../../accounts/import.js';
import type { Jobs } from '../../jobs/client.js';
import type { Logger } from '../../lib/logger.js';
import { OPERATOR_ONLY, type AccessControl } from '../access.js';
import { answerStarted, mapJobErrors } from './job-routes.js';

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
  accounts: Pick<AccountWorkflows, 'knownIds'>;
  jobs: Jobs;
  logger: Logger;
}

export function createImportRouter({ access, accounts, jobs, logger }: ImportRouteDeps): Router {
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
    if (body.data.dryRun) {
      const plan = await planImport(accounts, ids);
      res.status(200).json({ dryRun: true, total: plan.total, new: plan.newIds.length, known: plan.known });
      return;
    }
    const job = await jobs.start('import', { accountIds: ids, source: 'admin-api' });
    logger.info({ job: job.id, total: ids.length }, 'import job started (admin API)');
    answerStarted(res, job);
  });
  router.use('/accounts/import', mapJobErrors);
  return router;
}
