/** The simulator's control API under `/_sim` (not part of Mono): scenarios, changes, webhooks, call log, rate. */
import express, { type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import {
  ChangeRequest,
  ScenarioSchema,
  type SimAccounts,
  type SimAccountState,
  type SimChangeRequest,
  WebhookRequest,
} from './accounts.js';
import type { SimTraffic } from './traffic.js';
import type { WebhookSender } from './webhooks.js';

export interface ControlApiDeps {
  accounts: SimAccounts;
  traffic: SimTraffic;
  webhooks: WebhookSender;
  change: (accountId: string, request: SimChangeRequest) => Promise<SimAccountState>;
}

export function controlApi(deps: ControlApiDeps): Router {
  const router = express.Router();
  router.use('/_sim', express.json());
  accountRoutes(router, deps);
  trafficRoutes(router, deps.traffic);
  return router;
}

function accountRoutes(router: Router, { accounts, webhooks, change }: ControlApiDeps): void {
  router.put('/_sim/accounts/:id', (req, res) => {
    const scenario = parseBody(ScenarioSchema, req, res);
    if (!scenario) return;
    accounts.setScenario(req.params.id, scenario);
    res.json({ accountId: req.params.id, scenario });
  });
  router.post('/_sim/accounts/:id/change', async (req, res) => {
    const request = parseBody(ChangeRequest, req, res);
    if (!request) return;
    try {
      res.json({ accountId: req.params.id, state: await change(req.params.id, request) });
    } catch (err) {
      res.status(502).json({ error: `changed, but the webhook was not delivered: ${(err as Error).message}` });
    }
  });
  router.post('/_sim/webhooks', async (req, res) => {
    const webhook = parseBody(WebhookRequest, req, res);
    if (!webhook) return;
    try {
      res.json({ delivered: true, targetStatus: await webhooks.send(webhook) });
    } catch (err) {
      res.status(502).json({ error: `could not deliver the webhook: ${(err as Error).message}` });
    }
  });
}

function trafficRoutes(router: Router, traffic: SimTraffic): void {
  router.get('/_sim/calls', (_req, res) => {
    res.json({ calls: traffic.calls });
  });
  router.delete('/_sim/calls', (_req, res) => {
    traffic.clearCalls();
    res.status(204).end();
  });
  router.get('/_sim/rate', (_req, res) => {
    res.json(traffic.rate());
  });
  router.delete('/_sim/rate', (_req, res) => {
    traffic.resetRate();
    res.status(204).end();
  });
}

/** The request's body as `schema` reads it, or undefined after answering 400 with what is wrong. */
function parseBody<T extends z.ZodType>(schema: T, req: Request, res: Response): z.output<T> | undefined {
  const parsed = schema.safeParse(req.body);
  if (parsed.success) return parsed.data;
  res.status(400).json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
  return undefined;
}
