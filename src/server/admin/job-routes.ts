/**
 * Bulk jobs in the admin API (docs/operating.md, "Bulk jobs"), operator tokens only:
 *   POST /notices/redeliver {since?, spreadOver?, dryRun?}   starts the redeliver job: 202 with it, 409 if one runs
 *   GET  /jobs                                               the most recent jobs, newest first
 *   GET  /jobs/:jobId                                        one job and its progress
 *   POST /jobs/:jobId/cancel                                 stops a running job (what it did stays done): 202, 409
 * `POST /accounts/import` starts the import job (import-route.ts). A started job answers with `Location: /jobs/<id>`.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { JobAlreadyRunning, JobNotFound, type Jobs, type JobView } from '../../jobs/client.js';
import type { Logger } from '../../lib/logger.js';
import { OPERATOR_ONLY, type AccessControl } from '../access.js';
import { issues, JobPath, RedeliverAllBody } from './schemas.js';

/** Accounts a redeliver job asks at the same time. */
const REDELIVER_CONCURRENCY = 8;

export interface JobRouteDeps {
  access: AccessControl;
  jobs: Jobs;
  logger: Logger;
  /** REDELIVER_SPREAD: the window requeued first attempts are spread over, unless the request gives one. */
  redeliverSpreadMs: number;
}

/** 202 with the job just started, and where to follow it. */
export function answerStarted(res: Response, job: JobView): void {
  res.status(202).location(`/jobs/${job.id}`).json(job);
}

export function createJobRouter({ access, jobs, logger, redeliverSpreadMs }: JobRouteDeps): Router {
  const router = express.Router();
  const operator = access.allow(OPERATOR_ONLY);
  const json = express.json({ limit: '16kb' });

  router.post('/notices/redeliver', operator, json, async (req, res) => {
    const body = RedeliverAllBody.safeParse(req.body ?? {});
    if (!body.success) return void res.status(400).json({ error: issues(body.error) });
    const { since, spreadOver = redeliverSpreadMs, dryRun = false } = body.data;
    const job = await jobs.start('redeliver', {
      ...(since && { since }),
      spreadMs: dryRun ? 0 : spreadOver,
      dryRun,
      concurrency: REDELIVER_CONCURRENCY,
    });
    logger.info({ job: job.id, dryRun, spreadMs: spreadOver }, 'redeliver job started (admin API)');
    answerStarted(res, job);
  });

  router.get('/jobs', operator, async (_req, res) => {
    res.json({ jobs: await jobs.list() });
  });

  router.get('/jobs/:jobId', operator, async (req, res) => {
    const path = JobPath.safeParse(req.params);
    if (!path.success) return void res.status(400).json({ error: issues(path.error) });
    res.json(await jobs.get(path.data.jobId));
  });

  router.post('/jobs/:jobId/cancel', operator, async (req, res) => {
    const path = JobPath.safeParse(req.params);
    if (!path.success) return void res.status(400).json({ error: issues(path.error) });
    const job = await jobs.cancel(path.data.jobId);
    if (job.status !== 'running') {
      res.status(409).json({ error: `the job has already finished (${job.status})`, job });
      return;
    }
    logger.info({ job: job.id }, 'job cancel requested (admin API)');
    res.status(202).json(job);
  });

  router.use(['/jobs', '/notices/redeliver', '/accounts/import'], mapJobErrors);
  return router;
}

export function mapJobErrors(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (err instanceof JobNotFound) return void res.status(404).json({ error: err.message });
  if (err instanceof JobAlreadyRunning) return void res.status(409).json({ error: err.message, job: err.running });
  next(err);
}
