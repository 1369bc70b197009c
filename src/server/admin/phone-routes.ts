/**
 * The API of phone opt-outs (integration or operator); the number travels in the body, never in a URL:
 *   PUT  /phone-opt-outs         {phone, optedOut}   opt a number out of SMS and WhatsApp, or back in
 *   POST /phone-opt-outs/lookup  {phone}             whether a number has opted out
 */
import express, { type Router } from 'express';
import { z } from 'zod';
import type { PhoneOptOuts } from '../../accounts/phone-opt-outs.js';
import type { Logger } from '../../lib/logger.js';
import { INTEGRATION_OR_OPERATOR, type AccessControl } from '../access.js';
import { issues, PhoneNumber } from './schemas.js';

export const PhoneOptOutBody = z.object({ phone: PhoneNumber, optedOut: z.boolean() }).strict();
export const PhoneLookupBody = z.object({ phone: PhoneNumber }).strict();
export const PhoneOptOutAnswer = z.object({
  optedOut: z.boolean(),
  changed: z.boolean().meta({ description: 'false when the number already was as asked' }).optional(),
});

export function createPhoneOptOutRouter(deps: {
  access: AccessControl;
  optOuts: PhoneOptOuts;
  logger: Logger;
}): Router {
  const router = express.Router();
  const allowed = deps.access.allow(INTEGRATION_OR_OPERATOR);
  const json = express.json({ limit: '4kb' });
  router.put('/phone-opt-outs', allowed, json, async (req, res) => {
    const body = PhoneOptOutBody.safeParse(req.body ?? {});
    if (!body.success) return void res.status(400).json({ error: issues(body.error) });
    const { phone, optedOut } = body.data;
    const changed = optedOut ? await deps.optOuts.optOut(phone, 'api') : await deps.optOuts.optIn(phone, 'api');
    deps.logger.info({ optedOut, changed }, 'phone opt-out set (admin API)');
    res.json({ optedOut, changed });
  });
  router.post('/phone-opt-outs/lookup', allowed, json, async (req, res) => {
    const body = PhoneLookupBody.safeParse(req.body ?? {});
    if (!body.success) return void res.status(400).json({ error: issues(body.error) });
    res.json({ optedOut: await deps.optOuts.isOptedOut(body.data.phone) });
  });
  return router;
}
