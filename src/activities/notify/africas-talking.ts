/**
 * SMS through Africa's Talking (Nigeria, Kenya and much of Africa), written against its public documentation:
 *  - sending: http://docs.africastalking.com/sms/sending (POST {apiUrl}/version1/messaging, form-encoded
 *    `username`, `to`, `message`, optional `from`; headers `apiKey` and `Accept: application/json`; the answer's
 *    `SMSMessageData.Recipients[].statusCode`: 100 Processed, 101 Sent, 102 Queued, 401 RiskHold,
 *    402 InvalidSenderId, 403 InvalidPhoneNumber, 404 UnsupportedNumberType, 405 InsufficientBalance,
 *    406 UserInBlacklist, 407 CouldNotRoute, 409 DoNotDisturbRejection, 500 InternalServerError,
 *    501 GatewayError, 502 RejectedByGateway);
 *  - notifications: http://docs.africastalking.com/sms/notifications (incoming messages: form fields `from`,
 *    `to`, `text`, `date`, `id`, `linkId`; Bulk SMS opt-out: `senderId`, `phoneNumber`). Africa's Talking does not
 *    sign its callbacks, so the callback URLs registered in its dashboard carry a secret of ours
 *    (`?key=AT_CALLBACK_KEY`), checked in constant time (src/server/webhooks/phone-callbacks.ts).
 * Sandbox: https://api.sandbox.africastalking.com with the username `sandbox`.
 */
import type { OutboundPolicy } from '../../lib/outbound.js';
import { DeliverySkipped, PermanentDeliveryError, TransientDeliveryError } from './delivery-errors.js';
import { httpFailure, jsonOf, postToProvider } from './provider-http.js';

export interface AfricasTalkingConfig {
  apiUrl: string;
  username: string;
  apiKey: string;
  /** Registered alphanumeric sender id or short code; unset, Africa's Talking's default. */
  senderId?: string;
}

const WHAT = "Africa's Talking";
const SENT = new Set([100, 101, 102]);
/** Recipient codes worth another attempt later: the operator can top up, a route can come back, a gateway recover. */
const TRANSIENT = new Set([405, 407, 500, 501, 502]);
const NAMES: Record<number, string> = {
  401: 'RiskHold',
  402: 'InvalidSenderId',
  403: 'InvalidPhoneNumber',
  404: 'UnsupportedNumberType',
  405: 'InsufficientBalance',
  406: 'UserInBlacklist',
  407: 'CouldNotRoute',
  409: 'DoNotDisturbRejection',
  500: 'InternalServerError',
  501: 'GatewayError',
  502: 'RejectedByGateway',
};

interface Recipient {
  statusCode?: number;
  status?: string;
  messageId?: string;
}

/**
 * Sends one SMS; resolves with Africa's Talking's message id. Throws DeliverySkipped when the number blocked the
 * sender (UserInBlacklist), PermanentDeliveryError or TransientDeliveryError otherwise.
 */
export async function sendAfricasTalkingSms(
  config: AfricasTalkingConfig,
  to: string,
  message: string,
  options: { policy: OutboundPolicy; timeoutMs: number; nowMs: number; signal?: AbortSignal }
): Promise<string> {
  const form = new URLSearchParams({ username: config.username, to, message });
  if (config.senderId) form.set('from', config.senderId);
  const answer = await postToProvider({
    url: `${config.apiUrl.replace(/\/+$/, '')}/version1/messaging`,
    headers: {
      apiKey: config.apiKey,
      accept: 'application/json',
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: form.toString(),
    what: WHAT,
    policy: options.policy,
    timeoutMs: options.timeoutMs,
    signal: options.signal,
  });
  if (answer.status === 401)
    throw new PermanentDeliveryError(`${WHAT} refused the credentials (401): check AT_USERNAME and AT_API_KEY`);
  if (answer.status < 200 || answer.status >= 300)
    throw httpFailure(
      WHAT,
      answer.status,
      answer.headers.get('retry-after'),
      options.nowMs,
      'check the provider settings'
    );
  const recipient = (jsonOf(answer.text) as { SMSMessageData?: { Recipients?: Recipient[] } } | undefined)
    ?.SMSMessageData?.Recipients?.[0];
  if (!recipient || typeof recipient.statusCode !== 'number')
    throw new TransientDeliveryError(`${WHAT} answered ${answer.status} without a recipient status; retrying`);
  return recipientOutcome(recipient);
}

/** A recipient's status code as the attempt's outcome. */
export function recipientOutcome(recipient: Recipient): string {
  const code = recipient.statusCode!;
  if (SENT.has(code)) return recipient.messageId ?? '';
  const name = `${code} ${NAMES[code] ?? recipient.status ?? 'unknown'}`;
  if (code === 406) throw new DeliverySkipped(`the number has blocked this sender (${WHAT} ${name})`);
  if (TRANSIENT.has(code)) throw new TransientDeliveryError(`${WHAT} did not send the SMS (${name}); retrying`);
  throw new PermanentDeliveryError(`${WHAT} refused the SMS (${name})`);
}
