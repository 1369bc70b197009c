/**
 * Delivers the workflow's notices on the configured channels (SPEC 3.4):
 *  - log: a structured line, no PII and no link (a link is a credential);
 *  - webhook: POST to the customer's backend, signed in the Standard Webhooks format (the `standardwebhooks`
 *    package), `webhook-id` = the notice id, so a retried activity sends the same message id again;
 * Owner notices get a fresh signed re-auth link. Operator notices also go to OPERATOR_WEBHOOK_URL if set.
 */
import { Webhook } from 'standardwebhooks';
import type { Logger } from '../../lib/logger.js';
import type { ReauthLinks } from '../../lib/reauth-link.js';
import type { Notice } from '../../workflows/account-lifecycle/types.js';

export interface NotifierConfig {
  channels: Array<'log' | 'webhook' | 'email'>;
  webhookUrl?: string;
  webhookSecret?: string;
  operatorWebhookUrl?: string;
  timeoutMs?: number;
}

/** The JSON body of an outbound notification. */
export interface NotificationBody {
  type: Notice['type'];
  timestamp: string;
  data: Notice['data'] & { reauthUrl?: string };
}

/** Thrown for a failure a retry cannot fix (misconfiguration, a 4xx other than 408/429). */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}

export class Notifier {
  private readonly signer: Webhook | undefined;

  constructor(
    private readonly config: NotifierConfig,
    private readonly links: ReauthLinks,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now
  ) {
    this.signer = config.webhookSecret ? new Webhook(config.webhookSecret) : undefined;
  }

  async deliver(notice: Notice): Promise<void> {
    const body: NotificationBody = { type: notice.type, timestamp: notice.at, data: { ...notice.data } };
    if (
      notice.audience === 'owner' &&
      (notice.type === 'account.reauth_required' || notice.type === 'account.reauth_reminder')
    ) {
      body.data.reauthUrl = this.links.create(notice.data.accountId, this.now());
    }
    if (this.config.channels.includes('log')) {
      this.logger.info(
        {
          notice: notice.id,
          type: notice.type,
          audience: notice.audience,
          accountId: notice.data.accountId,
          reminder: notice.data.reminder,
          reason: notice.data.reason,
        },
        notice.audience === 'operators' ? 'operators notified' : 'owner notified'
      );
    }
    const targets: string[] = [];
    if (this.config.channels.includes('webhook') && this.config.webhookUrl) targets.push(this.config.webhookUrl);
    if (notice.audience === 'operators' && this.config.operatorWebhookUrl) targets.push(this.config.operatorWebhookUrl);
    for (const url of targets) await this.post(url, notice.id, body);
  }

  private async post(url: string, id: string, body: NotificationBody): Promise<void> {
    if (!this.signer) throw new PermanentDeliveryError('NOTIFY_WEBHOOK_SECRET is not set; cannot sign webhooks');
    const payload = JSON.stringify(body);
    const timestamp = new Date(this.now());
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      'webhook-signature': this.signer.sign(id, timestamp, payload),
    };
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        body: payload,
        signal: AbortSignal.timeout(this.config.timeoutMs ?? 10_000),
      });
    } catch (err) {
      throw new Error(`could not reach the notification webhook (${(err as Error).message}); retrying`, { cause: err });
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    const message = `the notification webhook answered ${res.status}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      throw new PermanentDeliveryError(`${message}; fix the receiver`);
    throw new Error(`${message}; retrying`);
  }
}
