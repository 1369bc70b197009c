/**
 * WhatsApp through Meta's WhatsApp Business Cloud API, template messages only (an owner who has not written to us
 * in the last 24 hours can be reached by an approved template alone), written against Meta's documentation:
 *  - sending: https://developers.facebook.com/docs/whatsapp/cloud-api/reference/messages and
 *    https://developers.facebook.com/docs/whatsapp/cloud-api/guides/send-message-templates
 *    (POST {apiUrl}/{phone-number-id}/messages, `Authorization: Bearer <access token>`, JSON
 *    `{messaging_product: "whatsapp", recipient_type: "individual", to, type: "template", template: {name,
 *    language: {code}, components: [{type: "body", parameters: [{type: "text", text}]}]}}`; the answer
 *    `{messaging_product, contacts: [{input, wa_id}], messages: [{id}]}`);
 *  - errors: https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes
 *    (`{error: {message, type, code, error_data: {details}, fbtrace_id}}`; 0 and 190 access token, 4, 80007,
 *    130429 and 131056 rate limits, 1, 2, 131000 and 131016 temporary, 131026 undeliverable, 131050 the user
 *    stopped marketing messages, 132xxx template problems, 100 invalid parameter);
 *  - inbound messages (a STOP reply): https://developers.facebook.com/docs/graph-api/webhooks/getting-started
 *    (the GET `hub.mode`/`hub.verify_token`/`hub.challenge` handshake; every POST signed with
 *    `X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body keyed with the app secret>`; src/server/webhooks/phone-callbacks.ts).
 */
import type { OutboundPolicy } from '../../lib/outbound.js';
import { parseRetryAfter } from '../../lib/retry-after.js';
import { DeliverySkipped, PermanentDeliveryError, TransientDeliveryError } from './delivery-errors.js';
import { httpFailure, jsonOf, postToProvider } from './provider-http.js';

export interface WhatsAppCloudConfig {
  /** The Graph API base with its version, e.g. https://graph.facebook.com/v21.0. */
  apiUrl: string;
  phoneNumberId: string;
  accessToken: string;
}

/** An approved template: its name and language in WhatsApp Manager and its body parameters, in order. */
export interface WhatsAppTemplate {
  name: string;
  language: string;
  bodyParameters: string[];
}

const WHAT = 'the WhatsApp Cloud API';
const RATE_LIMITS = new Set([4, 80007, 130429, 131056]);
const TEMPORARY = new Set([1, 2, 131000, 131016]);

interface GraphError {
  code?: number;
  type?: string;
}

/** The request body of a template message to `to` (E.164; the API takes the digits without `+`). */
export function templateMessage(to: string, template: WhatsAppTemplate): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: to.replace(/^\+/, ''),
    type: 'template',
    template: {
      name: template.name,
      language: { code: template.language },
      ...(template.bodyParameters.length > 0 && {
        components: [{ type: 'body', parameters: template.bodyParameters.map((text) => ({ type: 'text', text })) }],
      }),
    },
  };
}

/** Sends one template message; resolves with the message id (wamid). */
export async function sendWhatsAppTemplate(
  config: WhatsAppCloudConfig,
  to: string,
  template: WhatsAppTemplate,
  options: { policy: OutboundPolicy; timeoutMs: number; nowMs: number; signal?: AbortSignal }
): Promise<string> {
  const answer = await postToProvider({
    url: `${config.apiUrl.replace(/\/+$/, '')}/${encodeURIComponent(config.phoneNumberId)}/messages`,
    headers: { authorization: `Bearer ${config.accessToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(templateMessage(to, template)),
    what: WHAT,
    policy: options.policy,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  const body = jsonOf(answer.text) as { error?: GraphError; messages?: Array<{ id?: string }> } | undefined;
  if (answer.status >= 200 && answer.status < 300) return body?.messages?.[0]?.id ?? '';
  const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'), options.nowMs);
  const error = graphError(body?.error, template.name, retryAfterMs);
  throw (
    error ??
    httpFailure(WHAT, answer.status, answer.headers.get('retry-after'), options.nowMs, 'check the provider settings')
  );
}

/** A Graph API error code as a delivery error; undefined when the code says nothing the status does not. */
export function graphError(
  error: GraphError | undefined,
  templateName: string,
  retryAfterMs?: number
): Error | undefined {
  const code = error?.code;
  if (typeof code !== 'number') return undefined;
  const named = `${WHAT} error ${code}`;
  if (code === 0 || code === 190)
    return new PermanentDeliveryError(`${named}: the access token was refused; check WHATSAPP_ACCESS_TOKEN`);
  if (RATE_LIMITS.has(code)) return new TransientDeliveryError(`${named}: rate limited; retrying`, retryAfterMs);
  if (TEMPORARY.has(code)) return new TransientDeliveryError(`${named}: temporarily unavailable; retrying`);
  if (code === 131026) return new PermanentDeliveryError(`${named}: undeliverable (the number may not use WhatsApp)`);
  if (code === 131050) return new DeliverySkipped(`${named}: the owner stopped messages from this business`);
  if (code >= 132000 && code < 133000)
    return new PermanentDeliveryError(`${named}: template ${templateName} is missing, paused or has other parameters`);
  return new PermanentDeliveryError(`${named}; fix the request or the configuration`);
}
