/**
 * `POST /webhooks/mono` (docs/architecture.md, "Webhook ingress"): authenticate, read at most 256 KiB, parse, validate, hand off to
 * Temporal, and answer 200 only once Temporal has the signal. Wrong secrets are limited per source
 * (server/rate-limit.ts); a right one never is.
 */
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { Logger } from '../../lib/logger.js';
import type { Metrics } from '../../lib/metrics.js';
import type { AccountEvent } from '../../workflows/account-lifecycle/model/types.js';
import { jsonDepth, MAX_BODY_DEPTH, type DeliveryKeyFn } from './delivery-key.js';
import type { DeliverEvent } from '../../accounts/client.js';
import { isPermanentTemporalError } from '../../temporal/grpc-status.js';
import { EVENT_PREFIX, parseWebhook } from './schema.js';
import { createRefusalGuard } from '../rate-limit.js';
import { createSecretVerifier, SECRET_HEADER } from './verify.js';

export const WEBHOOK_PATH = '/webhooks/mono';
export const MAX_WEBHOOK_BYTES = 256 * 1024;
/** Seconds Mono (or any sender) is asked to wait before retrying after a 503. */
const RETRY_AFTER_SECONDS = 10;

export interface WebhookRouteDeps {
  metrics: Metrics;
  secrets: readonly string[];
  deliveryKey: DeliveryKeyFn;
  deliver: DeliverEvent;
  logger: Logger;
  now?: () => Date;
}

export function createWebhookRouter(deps: WebhookRouteDeps): Router {
  const router = express.Router();
  router.post(
    WEBHOOK_PATH,
    authenticateWebhook(deps),
    express.raw({ type: () => true, limit: MAX_WEBHOOK_BYTES }),
    handleWebhook(deps)
  );
  return router;
}

/**
 * Metrics and authentication, in one handler (each handler is a dispatch per request). The secret is checked
 * first: a right one is never limited; a wrong one counts toward its source's allowance of refusals.
 */
function authenticateWebhook({ metrics, secrets, logger }: WebhookRouteDeps): RequestHandler {
  const verify = createSecretVerifier(secrets);
  const guard = createRefusalGuard({ metrics, logger });
  const unauthorized = (res: Response) => () =>
    void res.status(401).json({ error: `missing or wrong ${SECRET_HEADER} header` });
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const outcome = outcomeOf(res.statusCode, res.locals as WebhookLocals);
      metrics.webhooks.inc({ event: (res.locals as WebhookLocals).event ?? 'unknown', outcome });
      metrics.ingressSeconds.observe({ outcome }, Number(process.hrtime.bigint() - started) / 1e9);
    });
    if (verify(req.get(SECRET_HEADER))) return next();
    guard.refuse(req, res, 'webhook', 'webhook rejected: missing or wrong mono-webhook-secret', unauthorized(res));
  };
}

/** Parses and validates an authenticated body, then hands the event to its account's workflow. */
function handleWebhook({ deliveryKey, deliver, logger, now = () => new Date() }: WebhookRouteDeps) {
  return async (req: Request, res: Response): Promise<void> => {
    const parsed = readEvent(req, res, logger);
    if (!parsed) return;
    (res.locals as WebhookLocals).event = parsed.event.kind;
    const event: AccountEvent = {
      ...parsed.event,
      deliveryKey: deliveryKey(EVENT_PREFIX + parsed.event.kind, parsed.event.accountId, parsed.body),
      receivedAt: now().toISOString(),
    };
    // The event's fields on each line (no child logger per request: its bindings would be serialized per request).
    const fields = { event: event.kind, accountId: event.accountId, deliveryKey: event.deliveryKey };
    try {
      const result = await deliver(event);
      if (result.status === 'closed') {
        (res.locals as WebhookLocals).outcome = 'ignored';
        logger.info(
          { ...fields, workflowId: result.workflowId },
          'webhook ignored: account workflow has completed (unlinked)'
        );
        res.status(200).json({ ignored: true, reason: 'account is unlinked', workflowId: result.workflowId });
        return;
      }
      logger.info({ ...fields, workflowId: result.workflowId, runId: result.runId }, 'webhook handed to workflow');
      res.status(200).json({ ok: true, workflowId: result.workflowId });
    } catch (err) {
      answerNotHandedOver(res, logger, fields, err);
    }
  };
}

type KnownEvent = Omit<AccountEvent, 'deliveryKey' | 'receivedAt'>;

/**
 * The event of a request's body, or undefined once the request has been answered: 400 for a body that is not
 * JSON, nests too deep or has the wrong shape, 200 `{ ignored: true }` for an event this service does not know.
 */
function readEvent(req: Request, res: Response, logger: Logger): { event: KnownEvent; body: unknown } | undefined {
  const body = readJson(req.body);
  if (body === undefined) {
    res.status(400).json({ error: 'body is not valid JSON' });
    return undefined;
  }
  if (jsonDepth(body) > MAX_BODY_DEPTH) {
    res.status(400).json({ error: `body nests deeper than ${MAX_BODY_DEPTH} levels` });
    return undefined;
  }
  const parsed = parseWebhook(body);
  if (parsed.kind === 'invalid') {
    logger.warn({ route: WEBHOOK_PATH, error: parsed.error }, 'webhook rejected: invalid shape');
    res.status(400).json({ error: parsed.error });
    return undefined;
  }
  if (parsed.kind === 'ignored') {
    (res.locals as WebhookLocals).outcome = 'ignored';
    logger.info({ event: parsed.event.slice(0, 100) }, 'webhook ignored: unknown event');
    res.status(200).json({ ignored: true });
    return undefined;
  }
  return { event: parsed.event, body };
}

/** 500 when Temporal refused the event for good (configuration), else 503 with Retry-After so that Mono retries. */
function answerNotHandedOver(res: Response, logger: Logger, fields: Record<string, string>, err: unknown): void {
  if (isPermanentTemporalError(err)) {
    logger.error({ ...fields, err: errorSummary(err) }, 'webhook not handed over: Temporal refused it');
    res.status(500).json({ error: 'Temporal refused the event; check the service configuration and logs' });
    return;
  }
  logger.error({ ...fields, err: errorSummary(err) }, 'webhook not handed over: Temporal unavailable or slow');
  res
    .status(503)
    .set('Retry-After', String(RETRY_AFTER_SECONDS))
    .json({ error: 'Temporal did not confirm the event in time; retry later' });
}

interface WebhookLocals {
  event?: string;
  outcome?: string;
}

function outcomeOf(status: number, locals: WebhookLocals): string {
  if (locals.outcome) return locals.outcome;
  const byStatus: Record<number, string> = {
    200: 'accepted',
    400: 'invalid',
    401: 'unauthorized',
    429: 'rate_limited',
    413: 'too_large',
    503: 'unavailable',
  };
  return byStatus[status] ?? (status >= 500 ? 'refused' : `http_${status}`);
}

function readJson(raw: unknown): unknown {
  if (!Buffer.isBuffer(raw) || raw.length === 0) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Error name and message only: gRPC errors can be long, and we never log request data. */
function errorSummary(err: unknown): { name: string; message: string } {
  const e = err instanceof Error ? err : new Error(String(err));
  return { name: e.name, message: e.message.slice(0, 300) };
}
