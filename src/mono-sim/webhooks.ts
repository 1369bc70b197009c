/** The webhooks the simulator sends: Mono's documented bodies, posted to the target with its secret. */
import type { SimWebhook } from './accounts.js';
import { DEFAULT_INSTITUTION, fakeAccountV1 } from './answers.js';

/** Where simulated webhooks go, and the secret they carry. */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** The body Mono sends for each event, in its documented shape (docs/mono-events.md). */
export function monoWebhookBody(w: SimWebhook, institution = DEFAULT_INSTITUTION): unknown {
  const event = `mono.events.${w.event}`;
  switch (w.event) {
    case 'account_connected':
      return { event, data: { id: w.accountId, customer: 'sim_customer', meta: {} } };
    case 'account_updated':
      return {
        event,
        data: {
          meta: {
            data_status: (w.dataStatus ?? 'AVAILABLE').toUpperCase(),
            auth_method: 'internet_banking',
            retrieved_data: ['balance', 'transactions'],
          },
          account: { ...fakeAccountV1(w.accountId, institution) },
        },
      };
    case 'account_synced':
      return { event, data: { account: w.accountId, updated: w.updated ?? true } };
    case 'account_unlinked':
      return { event, data: { account: { id: w.accountId } } };
    default:
      return { event, data: { account: { _id: w.accountId } } };
  }
}

/** How long after an API call Mono's follow-up webhook goes out: after the call has been answered. */
const FOLLOW_UP_DELAY_MS = 50;

export class WebhookSender {
  constructor(
    private readonly target: WebhookTarget | undefined,
    /** The account's institution, for the account object some bodies carry. */
    private readonly institutionOf: (accountId: string) => string | undefined
  ) {}

  get hasTarget(): boolean {
    return this.target !== undefined;
  }

  /** Posts the webhook and returns the target's HTTP status; throws without a target or when unreachable. */
  async send(w: SimWebhook): Promise<number> {
    const target = this.target;
    if (!target) throw new Error('the simulator has no webhook target; start it with one');
    const res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mono-webhook-secret': target.secret },
      body: JSON.stringify(monoWebhookBody(w, this.institutionOf(w.accountId))),
    });
    await res.arrayBuffer();
    return res.status;
  }

  /** Sends the webhook Mono sends after a call, shortly and only when there is a target; a failure is dropped. */
  sendFollowUp(w: SimWebhook): void {
    if (!this.target) return;
    setTimeout(() => void this.send(w).catch(() => undefined), FOLLOW_UP_DELAY_MS);
  }
}
