/**
 * The HTTP application: webhook ingress, health and readiness. `createApp` wires routes and error handling
 * and does not listen; `main.ts` and the tests decide where it runs.
 */
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import type { AccountWorkflows, DeliverEvent } from '../accounts/client.js';
import { isTemporalUnavailable } from '../temporal/grpc-status.js';
import { createAdminRouter } from './admin/routes.js';
import { createReauthRouter, type ReauthPageDeps } from './reauth/page.js';
import type { DeliveryKeyFn } from './webhooks/delivery-key.js';
import { createWebhookRouter } from './webhooks/route.js';

export interface AppDeps {
  /** The admin API; omitted, /accounts answers 404. */
  admin?: { token: string; accounts: AccountWorkflows };
  /** The re-auth page behind the links sent to owners; omitted, /reauth answers 404. */
  reauthPage?: ReauthPageDeps;
  metrics: Metrics;
  webhookSecrets: readonly string[];
  deliveryKey: DeliveryKeyFn;
  /** Hands an event to its account's workflow; resolves once Temporal has it. */
  deliver: DeliverEvent;
  logger: Logger;
  /** Resolves true when Temporal answers; backs `/readyz`. */
  isReady: () => Promise<boolean>;
}

export function createApp({
  webhookSecrets,
  deliveryKey,
  deliver,
  logger,
  isReady,
  admin,
  metrics,
  reauthPage,
}: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);

  addHealthRoutes(app, metrics, isReady, 'Temporal is not reachable');
  app.use(createWebhookRouter({ secrets: webhookSecrets, deliveryKey, deliver, logger, metrics }));
  if (admin) app.use(createAdminRouter({ ...admin, logger }));
  if (reauthPage) app.use(createReauthRouter(reauthPage));

  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path}` });
  });
  app.use(errorHandler(logger));
  return app;
}

/** Maps body-reading errors to their HTTP status; anything else is a 500 that never leaks details. */
function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: { type?: string; status?: number; message?: string }, _req, res, _next) => {
    if (err.type === 'entity.too.large') {
      res.status(413).json({ error: 'body is larger than 256 KiB' });
      return;
    }
    if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
      res.status(err.status).json({ error: err.message ?? 'bad request' });
      return;
    }
    if (isTemporalUnavailable(err)) {
      res.status(503).json({ error: 'Temporal is unreachable or slow; retry later' });
      return;
    }
    logger.error({ err: { message: err.message } }, 'unhandled error');
    res.status(500).json({ error: 'internal error; see the service log' });
  };
}

/** The worker role's HTTP server (SERVICE_ROLE=worker): health, readiness and metrics only. */
export function createWorkerApp({ metrics, isReady }: Pick<AppDeps, 'metrics' | 'isReady'>): Express {
  const app = express();
  app.disable('x-powered-by');
  addHealthRoutes(app, metrics, isReady, 'the worker is not running');
  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path} (this process runs the worker only)` });
  });
  return app;
}

function addHealthRoutes(app: Express, metrics: Metrics, isReady: () => Promise<boolean>, notReady: string): void {
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await isReady();
    res.status(ready ? 200 : 503).json(ready ? { ok: true } : { ok: false, error: notReady });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
}
