/**
 * Fake SMS and WhatsApp providers, served by the simulator on its port, following the request and answer shapes
 * and the authentication their documentation gives (the pages are cited in src/activities/notify/africas-talking.ts
 * and whatsapp-cloud.ts):
 *   POST /version1/messaging              Africa's Talking: form username, to, message, from; header apiKey
 *   POST /:version/:phoneNumberId/messages WhatsApp Cloud API: template messages; Authorization: Bearer
 * A wrong key or token is refused as the provider refuses it. Each message received is logged (type, template,
 * segments, the number masked) and kept for the control API:
 *   GET/DELETE /_sim/messages                  what was received
 *   POST /_sim/phone-failures {channel, status?, code?, times?, retryAfter?}   the next answers fail
 *   POST /_sim/sms/inbound {from, text}        an owner's SMS reply, sent to the service's incoming callback
 *   POST /_sim/whatsapp/inbound {from, text}   an owner's WhatsApp reply, sent signed to the service's webhook
 */
import { createHmac, randomBytes } from 'node:crypto';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { countSmsSegments } from '../activities/notify/sms-segments.js';
import { maskPhone } from '../lib/phone.js';
import type { SimPhoneCredentials } from './phone-credentials.js';

export interface SimMessage {
  at: string;
  channel: 'sms' | 'whatsapp';
  /** The recipient as sent (the control API is for tests on this machine; the log masks it). */
  to: string;
  id: string;
  /** sms: the text, its encoding and segments. */
  text?: string;
  encoding?: string;
  segments?: number;
  from?: string;
  /** whatsapp: the template, its language and body parameters. */
  template?: string;
  language?: string;
  parameters?: string[];
}

export interface PhoneProviderDeps {
  credentials: SimPhoneCredentials;
  /** The service's base URL, where the owners' replies go (the callbacks); none, and inbound is refused. */
  serviceUrl?: string;
  log: (line: string) => void;
  now: () => number;
}

const Failure = z.object({
  channel: z.enum(['sms', 'whatsapp']),
  status: z.number().int().min(200).max(599).default(500),
  /** sms: a recipient statusCode answered with 201 (e.g. 406 UserInBlacklist); whatsapp: the error code. */
  code: z.number().int().optional(),
  times: z.number().int().min(1).default(1),
  retryAfter: z.string().optional(),
});
type Failure = z.output<typeof Failure>;
const Inbound = z.object({ from: z.string().regex(/^\+\d{8,15}$/), text: z.string().max(1600) });

export class PhoneProviders {
  readonly messages: SimMessage[] = [];
  private failures: Failure[] = [];

  constructor(private readonly deps: PhoneProviderDeps) {}

  router(): Router {
    const router = express.Router();
    router.post('/version1/messaging', express.urlencoded({ extended: false }), (req, res) => this.sms(req, res));
    router.post('/:version/:phoneNumberId/messages', express.json(), (req, res) => this.whatsapp(req, res));
    router.get('/_sim/messages', (_req, res) => void res.json({ messages: this.messages }));
    router.delete('/_sim/messages', (_req, res) => {
      this.messages.length = 0;
      res.status(204).end();
    });
    router.post('/_sim/phone-failures', express.json(), (req, res) => {
      const failure = Failure.safeParse(req.body);
      if (!failure.success) return void res.status(400).json({ error: failure.error.message });
      this.failures.push(failure.data);
      res.json({ queued: failure.data });
    });
    router.post('/_sim/sms/inbound', express.json(), (req, res) => void this.inbound('sms', req, res));
    router.post('/_sim/whatsapp/inbound', express.json(), (req, res) => void this.inbound('whatsapp', req, res));
    return router;
  }

  private takeFailure(channel: Failure['channel']): Failure | undefined {
    const failure = this.failures.find((f) => f.channel === channel);
    if (!failure) return undefined;
    failure.times -= 1;
    if (failure.times <= 0) this.failures = this.failures.filter((f) => f !== failure);
    return failure;
  }

  private sms(req: Request, res: Response): void {
    const { credentials } = this.deps;
    const form = (req.body ?? {}) as Record<string, string | undefined>;
    if (req.get('apikey') !== credentials.atApiKey || form.username !== credentials.atUsername) {
      this.deps.log("fake Africa's Talking: 401, wrong apiKey or username");
      return void res.status(401).type('text/plain').send('The supplied authentication is invalid');
    }
    if (!form.to || !form.message) {
      return void res.status(400).type('text/plain').send('Must have to and message');
    }
    const failure = this.takeFailure('sms');
    if (failure && failure.code === undefined) {
      if (failure.retryAfter) res.set('retry-after', failure.retryAfter);
      return void res.status(failure.status).type('text/plain').send('Request failed');
    }
    const recipients = form.to.split(',').map((number) => {
      const statusCode = failure?.code ?? 101;
      const messageId = `ATXid_${randomBytes(12).toString('hex')}`;
      if (statusCode === 101) this.recordSms(number.trim(), form.message!, form.from, messageId);
      return {
        statusCode,
        number: number.trim(),
        status: statusCode === 101 ? 'Success' : 'Failed',
        cost: '0',
        messageId,
      };
    });
    const sent = recipients.filter((r) => r.statusCode === 101).length;
    res
      .status(201)
      .json({ SMSMessageData: { Message: `Sent to ${sent}/${recipients.length}`, Recipients: recipients } });
  }

  private recordSms(to: string, text: string, from: string | undefined, id: string): void {
    const { encoding, segments } = countSmsSegments(text);
    this.messages.push({ at: this.iso(), channel: 'sms', to, id, text, encoding, segments, ...(from && { from }) });
    this.deps.log(
      `fake Africa's Talking: SMS to ${maskPhone(to)} (${segments} segment${segments === 1 ? '' : 's'}, ${encoding}, ${text.length} characters)`
    );
  }

  private whatsapp(req: Request, res: Response): void {
    const { credentials } = this.deps;
    const graphError = (status: number, code: number, message: string, type = 'OAuthException'): void =>
      void res.status(status).json({ error: { message, type, code, fbtrace_id: randomBytes(8).toString('hex') } });
    if (req.get('authorization') !== `Bearer ${credentials.waAccessToken}`) {
      this.deps.log('fake WhatsApp Cloud API: 401, wrong access token');
      return graphError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    }
    if (req.params.phoneNumberId !== credentials.waPhoneNumberId)
      return graphError(400, 100, 'Unsupported post request. Object does not exist', 'GraphMethodException');
    const body = req.body as {
      messaging_product?: string;
      to?: string;
      type?: string;
      template?: {
        name?: string;
        language?: { code?: string };
        components?: Array<{ parameters?: Array<{ text?: string }> }>;
      };
    };
    if (
      body.messaging_product !== 'whatsapp' ||
      !body.to ||
      body.type !== 'template' ||
      !body.template?.name ||
      !body.template.language?.code
    )
      return graphError(400, 100, 'Invalid parameter');
    const failure = this.takeFailure('whatsapp');
    if (failure) {
      if (failure.retryAfter) res.set('retry-after', failure.retryAfter);
      return graphError(failure.status, failure.code ?? 131000, 'Simulated failure');
    }
    const id = `wamid.${randomBytes(16).toString('base64url')}`;
    const parameters = (body.template.components ?? []).flatMap((c) => (c.parameters ?? []).map((p) => p.text ?? ''));
    const to = `+${body.to.replace(/^\+/, '')}`;
    const { name, language } = body.template;
    this.messages.push({
      at: this.iso(),
      channel: 'whatsapp',
      to,
      id,
      template: name,
      language: language.code,
      parameters,
    });
    this.deps.log(`fake WhatsApp Cloud API: template ${name} (${language.code}) to ${maskPhone(to)}`);
    res.json({
      messaging_product: 'whatsapp',
      contacts: [{ input: body.to, wa_id: body.to.replace(/^\+/, '') }],
      messages: [{ id }],
    });
  }

  /** An owner's reply, delivered to the service's callback as the provider would deliver it. */
  private async inbound(channel: 'sms' | 'whatsapp', req: Request, res: Response): Promise<void> {
    const reply = Inbound.safeParse(req.body);
    if (!reply.success) return void res.status(400).json({ error: 'give {from: "+E.164", text}' });
    if (!this.deps.serviceUrl) return void res.status(409).json({ error: 'the simulator has no service to call' });
    const { credentials } = this.deps;
    const { from, text } = reply.data;
    let answer: globalThis.Response;
    if (channel === 'sms') {
      const form = new URLSearchParams({
        from,
        to: '12345',
        text,
        date: this.iso(),
        id: randomBytes(8).toString('hex'),
        linkId: '',
      });
      answer = await fetch(
        `${this.deps.serviceUrl}/webhooks/africastalking/incoming?key=${encodeURIComponent(credentials.atCallbackKey)}`,
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        }
      );
    } else {
      const body = JSON.stringify(whatsAppInbound(credentials.waPhoneNumberId, from.slice(1), text, this.deps.now()));
      const signature = `sha256=${createHmac('sha256', credentials.waAppSecret).update(body).digest('hex')}`;
      answer = await fetch(`${this.deps.serviceUrl}/webhooks/whatsapp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature },
        body,
      });
    }
    await answer.arrayBuffer();
    this.deps.log(
      `fake ${channel === 'sms' ? "Africa's Talking" : 'WhatsApp Cloud API'}: reply from ${maskPhone(from)} delivered (${answer.status})`
    );
    res.json({ delivered: answer.ok, status: answer.status });
  }

  private iso(): string {
    return new Date(this.deps.now()).toISOString();
  }
}

/** Meta's messages webhook for one inbound text message (the documented shape). */
export function whatsAppInbound(phoneNumberId: string, waId: string, text: string, nowMs: number): unknown {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'sim-waba',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { display_phone_number: '15550000000', phone_number_id: phoneNumberId },
              contacts: [{ profile: { name: 'Owner' }, wa_id: waId }],
              messages: [
                {
                  from: waId,
                  id: `wamid.${randomBytes(8).toString('hex')}`,
                  timestamp: String(Math.floor(nowMs / 1000)),
                  type: 'text',
                  text: { body: text },
                },
              ],
            },
          },
        ],
      },
    ],
  };
}
