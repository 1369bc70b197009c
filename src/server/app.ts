/**
 * The HTTP applications. The public one serves what Mono and account owners reach (the webhook endpoint and the
 * re-auth page); the operator one serves the admin API and /metrics, on its own listener outside development
 * (ADMIN_ADDRESS). In development both sets of routes share one listener. Nothing here listens: service.ts does.
 */
import { trace, type Tracer } from '@opentelemetry/api';
import type { Registry } from 'prom-client';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { AccountWorkflows, DeliverEvent } from '../accounts/client.js';
import type { Logger } from '../lib/logger.js';
import type { Metrics } from '../lib/metrics.js';
import { isTemporalUnavailable } from '../temporal/grpc-status.js';
import { createImportRouter } from './admin/import-route.js';
import type { Incidents } from '../incidents/client.js';
import { createIncidentRouter } from './admin/incident-routes.js';
import { createJobRouter } from './admin/job-routes.js';
import { createAdminRouter } from './admin/routes.js';
import { createPhoneOptOutRouter } from './admin/phone-routes.js';
import { createPhoneCallbackRouter, type PhoneCallbackDeps } from './webhooks/phone-callbacks.js';
import type { PhoneOptOuts } from '../accounts/phone-opt-outs.js';
import { createCodecRouter, type CodecRouteDeps } from './codec/routes.js';
import type { ReauthLinks } from '../lib/reauth-link.js';
import type { Jobs } from '../jobs/client.js';
import { createAccessControl, type AccessTokens } from './access.js';
import { developmentGuard } from './development-guard.js';
import { openApiDocument } from './openapi.js';
import { createRefusalGuard } from './rate-limit.js';
import { createReauthRouter, type ReauthPageDeps } from './reauth/page.js';
import type { TrustProxy } from './trust-proxy.js';
import type { DeliveryKeyFn } from './webhooks/delivery-key.js';
import { traceRequests } from './tracing.js';
import { createWebhookRouter, WEBHOOK_PATH } from './webhooks/route.js';

export interface OperatorDeps {
  admin: {
    /**
     * The gauges about all accounts (lib/account-gauges.ts), served on `GET /metrics/accounts`; `inMetrics`: on
     * `/metrics` too (one process runs every role, so nothing multiplies them).
     */
    accountGauges?: { registry: Registry; inMetrics: boolean };
    /** Bearer tokens by role (server/access.ts). */
    tokens: AccessTokens;
    accounts: AccountWorkflows;
    /** Bulk jobs (src/jobs/): redeliver everything, import. */
    jobs: Jobs;
    /** Bank-wide incidents (src/incidents/): `GET /incidents`; omitted, no such route. */
    incidents?: Incidents;
    /** REDELIVER_SPREAD: requeued first attempts of a redeliver job are spread over this window. */
    redeliverSpreadMs: number;
    /** Signs the re-auth links the integration route gives. */
    links: ReauthLinks;
    /** Phone opt-outs (`/phone-opt-outs`), when the sms or whatsapp channel is on. */
    optOuts?: PhoneOptOuts;
    /** The codec server (Temporal's remote codec protocol) for the Web UI and the CLI; omitted, none. */
    codec?: Omit<CodecRouteDeps, 'tokens' | 'logger' | 'guard'>;
  };
  metrics: Metrics;
  logger: Logger;
  /** Resolves true when every role of the process is up and it is not draining (server/readiness.ts); `/readyz`. */
  isReady: () => Promise<boolean>;
  /**
   * Development mode (`config.development`): every request must be addressed to loopback and not come through a
   * proxy, or it gets 421 (server/development-guard.ts).
   */
  development?: boolean;
  /** TRUST_PROXY: which proxies may name the client (server/trust-proxy.ts); unset, the socket address is it. */
  trustProxy?: TrustProxy;
}

export interface AppDeps extends Omit<OperatorDeps, 'admin'> {
  /** The operator routes (admin API, /metrics) on this listener too; omitted when they have their own. */
  admin?: OperatorDeps['admin'];
  /** The re-auth page behind the links sent to owners; omitted, /reauth answers 404. */
  reauthPage?: ReauthPageDeps;
  webhookSecrets: readonly string[];
  deliveryKey: DeliveryKeyFn;
  /** Hands an event to its account's workflow; resolves once Temporal has it. */
  deliver: DeliverEvent;
  /** Traces each webhook (src/lib/tracing.ts); omitted, the API's no-op tracer. */
  tracer?: Tracer;
  /** The SMS and WhatsApp providers' inbound callbacks (STOP replies), when those channels are on. */
  phoneCallbacks?: Omit<PhoneCallbackDeps, 'logger'>;
}

/** The public application: webhooks, re-auth page, health; plus the operator routes when `admin` is given. */
export function createApp(deps: AppDeps): Express {
  const { webhookSecrets, deliveryKey, deliver, logger, metrics, reauthPage, admin } = deps;
  const app = newApp(deps);
  addHealthRoutes(app, deps.isReady);
  app.post(WEBHOOK_PATH, traceRequests(deps.tracer ?? trace.getTracer('mono-reauth'), `POST ${WEBHOOK_PATH}`));
  app.use(createWebhookRouter({ secrets: webhookSecrets, deliveryKey, deliver, logger, metrics }));
  if (deps.phoneCallbacks) app.use(createPhoneCallbackRouter({ ...deps.phoneCallbacks, logger }));
  if (admin) addOperatorRoutes(app, { ...deps, admin });
  if (reauthPage) app.use(createReauthRouter(reauthPage));
  return finish(app, logger);
}

/** The operator application (ADMIN_ADDRESS): admin API, metrics, health. */
export function createOperatorApp(deps: OperatorDeps): Express {
  const app = newApp(deps);
  addHealthRoutes(app, deps.isReady);
  addOperatorRoutes(app, deps);
  return finish(app, deps.logger);
}

/** The worker role's HTTP server (SERVICE_ROLE=worker): health, readiness and metrics only. */
export function createWorkerApp({
  metrics,
  isReady,
  development,
}: Pick<AppDeps, 'metrics' | 'isReady' | 'development'>): Express {
  const app = newApp({ development });
  addHealthRoutes(app, isReady);
  addMetricsRoute(app, metrics);
  app.use((req, res) => {
    res.status(404).json({ error: `no route for ${req.method} ${req.path} (this process runs the worker only)` });
  });
  return app;
}

const NOT_READY = 'not ready: Temporal is not reachable, the worker is not running yet, or the service is stopping';

function newApp({ development, trustProxy = false }: Pick<OperatorDeps, 'development' | 'trustProxy'>): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', trustProxy);
  // Before every route: in development nothing may answer a request from a proxy or for another host name.
  if (development) app.use(developmentGuard());
  return app;
}

/**
 * Metrics, the OpenAPI document, the codec, import and the admin API; the last three take tokens by role and share
 * one allowance of refusals per source.
 */
function addOperatorRoutes(app: Express, { admin, metrics, logger }: OperatorDeps): void {
  const gauges = admin.accountGauges;
  addMetricsRoute(app, metrics, gauges?.inMetrics ? gauges.registry : undefined);
  if (gauges) {
    app.get('/metrics/accounts', async (_req, res) => {
      res.type(gauges.registry.contentType).send(await gauges.registry.metrics());
    });
  }
  const document = openApiDocument();
  app.get('/openapi.json', (_req, res) => void res.json(document));
  const { tokens, accounts, jobs, links } = admin;
  const guard = createRefusalGuard({ metrics, logger });
  if (admin.codec) app.use(createCodecRouter({ ...admin.codec, tokens, logger, guard }));
  const access = createAccessControl(tokens, guard, 'admin');
  app.use(createImportRouter({ access, accounts, jobs, logger }));
  app.use(createJobRouter({ access, jobs, logger, redeliverSpreadMs: admin.redeliverSpreadMs }));
  if (admin.incidents) app.use(createIncidentRouter({ access, incidents: admin.incidents }));
  app.use(createAdminRouter({ access, accounts, links, logger }));
  if (admin.optOuts) app.use(createPhoneOptOutRouter({ access, optOuts: admin.optOuts, logger }));
}

function finish(app: Express, logger: Logger): Express {
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

function addHealthRoutes(app: Express, isReady: () => Promise<boolean>): void {
  app.get('/healthz', (_req, res) => {
    res.json({ ok: true });
  });
  app.get('/readyz', async (_req, res) => {
    const ready = await isReady();
    res.status(ready ? 200 : 503).json(ready ? { ok: true } : { ok: false, error: NOT_READY });
  });
}

function addMetricsRoute(app: Express, metrics: Metrics, accountGauges?: Registry): void {
  app.get('/metrics', async (_req, res) => {
    const text = await metrics.registry.metrics();
    res.type(metrics.registry.contentType).send(accountGauges ? text + (await accountGauges.metrics()) : text);
  });
}
