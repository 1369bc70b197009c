/**
 * The providers' inbound callbacks on the public listener, where an owner's STOP reply arrives (and START, to
 * undo it), each authenticated as its provider documents (src/activities/notify/africas-talking.ts and
 * whatsapp-cloud.ts cite the pages):
 *   POST /webhooks/africastalking/incoming?key=…   Africa's Talking's incoming message (form: from, text, …)
 *   POST /webhooks/africastalking/opt-out?key=…    Africa's Talking's Bulk SMS opt-out (form: phoneNumber)
 *   GET  /webhooks/whatsapp                         Meta's verification handshake (hub.verify_token)
 *   POST /webhooks/whatsapp                         Meta's messages webhook (X-Hub-Signature-256)
 * Africa's Talking signs nothing: its callback URLs carry AT_CALLBACK_KEY. Numbers are never logged.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import type { PhoneOptOuts } from '../../accounts/phone-opt-outs.js';
import type { Logger } from '../../lib/logger.js';
import { parseE164 } from '../../lib/phone.js';
import type { OptOutSource } from '../../workflows/phone-opt-out.js';
import { replyIntent } from './stop-words.js';

export interface PhoneCallbackDeps {
  optOuts: PhoneOptOuts;
  atCallbackKey: string;
  waAppSecret: string;
  waVerifyToken: string;
  logger: Logger;
}

export const AT_INCOMING_PATH = '/webhooks/africastalking/incoming';
export const AT_OPT_OUT_PATH = '/webhooks/africastalking/opt-out';
export const WHATSAPP_WEBHOOK_PATH = '/webhooks/whatsapp';

const sameSecret = (given: unknown, expected: string): boolean => {
  if (typeof given !== 'string' || expected === '') return false;
  const a = createHmac('sha256', 'compare').update(given).digest();
  const b = createHmac('sha256', 'compare').update(expected).digest();
  return timingSafeEqual(a, b);
};

export function createPhoneCallbackRouter(deps: PhoneCallbackDeps): Router {
  const router = express.Router();
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const keyed = (req: Request, res: Response): boolean => {
    if (sameSecret(req.query.key, deps.atCallbackKey)) return true;
    res.status(401).json({ error: 'the callback key is missing or wrong' });
    return false;
  };
  router.post(AT_INCOMING_PATH, form, async (req, res) => {
    if (!keyed(req, res)) return;
    const body = (req.body ?? {}) as Record<string, unknown>;
    await apply(deps, body.from, replyIntent(body.text), 'sms_reply');
    res.status(200).end();
  });
  router.post(AT_OPT_OUT_PATH, form, async (req, res) => {
    if (!keyed(req, res)) return;
    await apply(deps, ((req.body ?? {}) as Record<string, unknown>).phoneNumber, 'stop', 'sms_provider');
    res.status(200).end();
  });
  addWhatsAppRoutes(router, deps);
  return router;
}

function addWhatsAppRoutes(router: Router, deps: PhoneCallbackDeps): void {
  router.get(WHATSAPP_WEBHOOK_PATH, (req, res) => {
    const { 'hub.mode': mode, 'hub.verify_token': token, 'hub.challenge': challenge } = req.query;
    if (mode === 'subscribe' && sameSecret(token, deps.waVerifyToken) && typeof challenge === 'string') {
      return void res.type('text/plain').send(challenge);
    }
    res.status(403).json({ error: 'the verify token is missing or wrong' });
  });
  router.post(WHATSAPP_WEBHOOK_PATH, express.raw({ type: '*/*', limit: '256kb' }), async (req, res) => {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const expected = `sha256=${createHmac('sha256', deps.waAppSecret).update(raw).digest('hex')}`;
    if (!sameSecret(req.get('x-hub-signature-256'), expected)) {
      return void res.status(401).json({ error: 'X-Hub-Signature-256 is missing or wrong' });
    }
    let payload: unknown;
    try {
      payload = JSON.parse(raw.toString('utf8'));
    } catch {
      return void res.status(400).json({ error: 'the body is not JSON' });
    }
    for (const { from, text } of inboundWhatsAppMessages(payload)) {
      await apply(deps, `+${from}`, replyIntent(text), 'whatsapp_reply');
    }
    res.status(200).end();
  });
}

/** The inbound messages of a WhatsApp webhook: who wrote (wa_id digits) and the text or button they sent. */
export function inboundWhatsAppMessages(payload: unknown): Array<{ from: string; text: string }> {
  const found: Array<{ from: string; text: string }> = [];
  const entries = (payload as { entry?: unknown })?.entry;
  for (const entry of Array.isArray(entries) ? entries : []) {
    const changes = (entry as { changes?: unknown }).changes;
    for (const change of Array.isArray(changes) ? changes : []) {
      const messages = (change as { value?: { messages?: unknown } }).value?.messages;
      for (const m of Array.isArray(messages) ? messages : []) {
        const message = m as { from?: unknown; text?: { body?: unknown }; button?: { text?: unknown } };
        const text = message.text?.body ?? message.button?.text;
        if (typeof message.from === 'string' && typeof text === 'string') found.push({ from: message.from, text });
      }
    }
  }
  return found;
}

/** Records what a reply asked for, for a number that is valid E.164; anything else is ignored. */
async function apply(
  deps: PhoneCallbackDeps,
  from: unknown,
  intent: 'stop' | 'start' | undefined,
  source: OptOutSource
): Promise<void> {
  const phone = typeof from === 'string' ? parseE164(from.trim()) : undefined;
  if (!intent || !phone) return;
  const changed =
    intent === 'stop' ? await deps.optOuts.optOut(phone, source) : await deps.optOuts.optIn(phone, source);
  deps.logger.info({ via: source, changed }, intent === 'stop' ? 'phone opted out' : 'phone opted back in');
}
