/**
 * Delivers the workflow's notices on the configured channels (README, "Notifications and the re-auth link"):
 *  - log: a structured line, no PII and no link (a link is a credential);
 *  - webhook: POST to the customer's backend, signed in the Standard Webhooks format (the `standardwebhooks`
 *    package), `webhook-id` = the notice id, so a retried activity sends the same message id again;
 *  - email: SMTP (nodemailer) to the owner's registered address, `Message-ID` derived from the notice id;
 *    owners without a registered address are skipped on this channel.
 * Owner notices get a fresh signed re-auth link. Operator notices also go to OPERATOR_WEBHOOK_URL if set.
 */
import {
  checkOutbound,
  fetchWithoutRedirects,
  OutboundRefused,
  STRICT_OUTBOUND,
  type OutboundPolicy,
} from '../../lib/outbound.js';
import { createTransport, type Transporter } from 'nodemailer';
import { Webhook } from 'standardwebhooks';
import type { Logger } from '../../lib/logger.js';
import type { ReauthLinks } from '../../lib/reauth-link.js';
import type { Contact, Notice } from '../../workflows/account-lifecycle/types.js';

export interface NotifierConfig {
  channels: Array<'log' | 'webhook' | 'email'>;
  webhookUrl?: string;
  webhookSecret?: string;
  smtpUrl?: string;
  from?: string;
  operatorWebhookUrl?: string;
  timeoutMs?: number;
  /** Outbound rules (lib/outbound.ts); strict (https, public addresses only) unless the caller says otherwise. */
  outbound?: OutboundPolicy;
  /**
   * Show the re-auth link in the log channel's lines: only in development, where the log is the only channel and
   * a developer needs the link to try the page. A link is a credential; never on where others read the logs.
   */
  logLinks?: boolean;
  /** Refuse to send mail over a connection that is not encrypted (STARTTLS or SMTPS). Default: on. */
  smtpRequireTls?: boolean;
}

/**
 * SMTP timeouts, kept well inside the notify activity's 30 s: a send that outlives the activity could be sent
 * again by its retry. Connect 5 s + greeting 5 s + 15 s of silence at most.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000, dnsTimeout: 5_000 };

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
  private readonly mailer: Transporter | undefined;

  constructor(
    private readonly config: NotifierConfig,
    private readonly links: ReauthLinks,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now
  ) {
    this.signer = config.webhookSecret ? new Webhook(config.webhookSecret) : undefined;
    this.mailer =
      config.channels.includes('email') && config.smtpUrl
        ? createTransport({ url: config.smtpUrl, requireTLS: config.smtpRequireTls ?? true, ...SMTP_TIMEOUTS })
        : undefined;
  }

  async deliver(notice: Notice, contact: Contact | null = null): Promise<void> {
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
          ...(this.config.logLinks && body.data.reauthUrl ? { reauthUrl: body.data.reauthUrl } : {}),
        },
        notice.audience === 'operators' ? 'operators notified' : 'owner notified'
      );
    }
    const targets: string[] = [];
    if (this.config.channels.includes('webhook') && this.config.webhookUrl) targets.push(this.config.webhookUrl);
    if (notice.audience === 'operators' && this.config.operatorWebhookUrl) targets.push(this.config.operatorWebhookUrl);
    for (const url of targets) await this.post(url, notice.id, body);
    if (this.config.channels.includes('email') && notice.audience === 'owner')
      await this.email(notice.id, body, contact);
  }

  private async email(id: string, body: NotificationBody, contact: Contact | null): Promise<void> {
    if (!contact?.email) {
      this.logger.info(
        { notice: id, accountId: body.data.accountId },
        'no email registered for the owner; email skipped'
      );
      return;
    }
    if (!this.mailer || !this.config.from)
      throw new PermanentDeliveryError('email is on but SMTP_URL or NOTIFY_FROM is missing');
    const { subject, text } = emailText(body);
    try {
      await checkOutbound(this.config.smtpUrl!, this.policy(), 'SMTP_URL');
    } catch (err) {
      if (err instanceof OutboundRefused) throw new PermanentDeliveryError(err.message);
      throw err;
    }
    try {
      await this.mailer.sendMail({
        from: this.config.from,
        to: contact.email,
        subject,
        text,
        messageId: `<${id}@mono-reauth>`,
      });
    } catch (err) {
      // SMTP replies and nodemailer's messages can quote the recipient's address: keep only the codes.
      const { responseCode, code } = err as { responseCode?: number; code?: string };
      const codes = [code, responseCode].filter((c) => c !== undefined).join(', ') || 'no code';
      if (responseCode !== undefined && responseCode >= 500 && responseCode < 600)
        throw new PermanentDeliveryError(`the SMTP server refused the message (${codes})`);
      if (code === 'ETLS' || code === 'EAUTH')
        throw new PermanentDeliveryError(`the SMTP server could not be used (${codes}): check SMTP_URL`);
      // No `cause`: Temporal records an error's causes in history, and this one can quote the recipient.
      // eslint-disable-next-line preserve-caught-error
      throw new Error(`could not send the email (${codes}); retrying`);
    }
  }

  private policy(): OutboundPolicy {
    return this.config.outbound ?? STRICT_OUTBOUND;
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
      // Never follows a redirect: it would re-post the signed body to wherever the redirect points.
      res = await fetchWithoutRedirects(
        url,
        { method: 'POST', headers, body: payload, signal: AbortSignal.timeout(this.config.timeoutMs ?? 10_000) },
        this.policy(),
        'the notification webhook'
      );
    } catch (err) {
      if (err instanceof OutboundRefused) throw new PermanentDeliveryError(err.message);
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

/** Plain, short emails: what happened and the link; no account details. */
function emailText(body: NotificationBody): { subject: string; text: string } {
  const link = body.data.reauthUrl
    ? `\n\nReconnect here: ${body.data.reauthUrl}\n\nThe link works for a limited time.`
    : '';
  switch (body.type) {
    case 'account.reauth_required':
      return {
        subject: 'Please reconnect your bank account',
        text: `Your bank needs you to sign in again so we can keep your account up to date.${link}`,
      };
    case 'account.reauth_reminder':
      return {
        subject: 'Reminder: please reconnect your bank account',
        text: `Your bank account is still disconnected.${link}`,
      };
    case 'account.recovered':
      return {
        subject: 'Your bank account is connected again',
        text: 'Thank you — your bank account is connected again. There is nothing more to do.',
      };
    default:
      return { subject: 'About your bank account', text: 'There is an update about your bank account.' };
  }
}
