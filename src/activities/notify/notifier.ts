/**
 * Delivers the workflow's notices on their channels (docs/architecture.md, "Notifications and the re-auth link"):
 *  - log: a structured line, no PII and no link (a link is a credential);
 *  - webhook: POST to the customer's backend, signed in the Standard Webhooks format (the `standardwebhooks`
 *    package) with every secret configured (one signature each, so a secret rotates without a gap),
 *    `webhook-id` = the notice id, so a retried activity sends the same message id again;
 *  - email: SMTP (nodemailer) to the owner's registered address, `Message-ID` derived from the notice id, a text
 *    and an HTML part in the owner's language from the templates (src/messages/owner-messages.ts);
 *    owners without a registered address are skipped on this channel. The SMTP host is resolved once per email
 *    and the connection made to that checked address, TLS still verifying the certificate against the host name.
 * Owner notices get a fresh signed re-auth link; when the owner's language is not English, the link carries it
 * (`lang`) so that the page opens in it. Operator notices also go to OPERATOR_WEBHOOK_URL if set, signed
 * with the operators' own secrets (OPERATOR_WEBHOOK_SECRET). Every call follows the outbound rules (lib/outbound.ts).
 * An email attempt stops at EMAIL_DEADLINE_MS, or when the activity is cancelled, closing its SMTP session.
 */
import { isIP } from 'node:net';
import {
  checkHost,
  checkScheme,
  fetchWithoutRedirects,
  OutboundRefused,
  STRICT_OUTBOUND,
  type OutboundPolicy,
} from '../../lib/outbound.js';
import { createTransport, type Transporter } from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import { Webhook } from 'standardwebhooks';
import { untilAborted } from '../../lib/abortable.js';
import { parseRetryAfter } from '../../lib/retry-after.js';
import type { Logger } from '../../lib/logger.js';
import type { ReauthLinks } from '../../lib/reauth-link.js';
import { linkLanguage } from '../../messages/locale.js';
import { builtInOwnerMessages, isOwnerMessageType, type OwnerMessages } from '../../messages/owner-messages.js';
import type { NoticePlan } from '../../workflows/account-lifecycle/model/outbox.js';
import type { Contact, Notice, NoticeChannel } from '../../workflows/account-lifecycle/model/types.js';

export interface NotifierConfig {
  channels: Array<'log' | 'webhook' | 'email'>;
  webhookUrl?: string;
  /** The customer webhook's Standard Webhooks secrets, comma-separated: each signs every message. */
  webhookSecret?: string;
  smtpUrl?: string;
  from?: string;
  operatorWebhookUrl?: string;
  /** The operator webhook's own secrets, comma-separated like `webhookSecret`; never the customer's. */
  operatorWebhookSecret?: string;
  /** Overall limit of an email attempt; EMAIL_DEADLINE_MS unless a test says otherwise. */
  emailDeadlineMs?: number;
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
  /** The owners' messages, loaded at start (APP_NAME, APP_LOGO_URL, TEMPLATES_DIR); built-in ones by default. */
  messages?: OwnerMessages;
}

/** nodemailer's own limits: connect 5 s, greeting 5 s, 15 s of silence (an inactivity timer, reset by traffic). */
const SMTP_TIMEOUTS = { connectionTimeout: 5_000, greetingTimeout: 5_000, socketTimeout: 15_000, dnsTimeout: 5_000 };

/**
 * The whole email attempt (resolving, connecting, the greeting and the send) is stopped after this long, well
 * inside the notify activity's 30 s start-to-close (src/workflows/account-lifecycle/effects.ts): an attempt that
 * outlived its activity could still be sending when the workflow's next attempt starts.
 */
export const EMAIL_DEADLINE_MS = 20_000;

/** A webhook receiver: its URL, a signer per secret, and its name in messages. */
interface WebhookReceiver {
  url: string;
  signers: Webhook[];
  what: string;
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

/** A failure worth retrying; `retryAfterMs` when the receiver said when (429 or 503 with Retry-After). */
export class TransientDeliveryError extends Error {
  override name = 'TransientDeliveryError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: ErrorOptions
  ) {
    super(message, options);
  }
}

const isReauthMessage = (notice: Notice): boolean =>
  notice.audience === 'owner' &&
  (notice.type === 'account.reauth_required' || notice.type === 'account.reauth_reminder');

export class Notifier {
  private readonly signers: Webhook[];
  private readonly operatorSigners: Webhook[];

  constructor(
    private readonly config: NotifierConfig,
    private readonly links: ReauthLinks,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now
  ) {
    this.signers = signersOf(config.webhookSecret);
    this.operatorSigners = signersOf(config.operatorWebhookSecret);
  }

  /** The channels this configuration sends `notice` to, in order, and those skipped with why. */
  plan(notice: Notice, hasEmail: boolean): NoticePlan {
    const plan: NoticePlan = { channels: [], skipped: [] };
    const on = (channel: 'log' | 'webhook' | 'email'): boolean => this.config.channels.includes(channel);
    if (on('log')) plan.channels.push('log');
    if (on('webhook') && this.config.webhookUrl) plan.channels.push('webhook');
    if (notice.audience === 'operators' && this.config.operatorWebhookUrl) plan.channels.push('operator_webhook');
    if (on('email') && notice.audience === 'owner') {
      if (hasEmail) plan.channels.push('email');
      else plan.skipped.push({ channel: 'email', reason: 'no email registered for the owner' });
    }
    return plan;
  }

  /** Sends `notice` on every channel that applies, one after another (runs from before per-channel delivery). */
  async deliver(notice: Notice, contact: Contact | null = null): Promise<void> {
    const plan = this.plan(notice, !!contact?.email);
    for (const channel of plan.channels) await this.deliverOn(channel, notice, contact);
    if (plan.skipped.length > 0) {
      this.logger.info(
        { notice: notice.id, accountId: notice.data.accountId },
        'no email registered for the owner; email skipped'
      );
    }
  }

  /**
   * Sends `notice` on one channel. The message id is the notice id on every attempt. `signal` stops the attempt
   * (the activity's cancellation): the connection is closed and the attempt fails as transient.
   */
  async deliverOn(
    channel: NoticeChannel,
    notice: Notice,
    contact: Contact | null = null,
    signal?: AbortSignal
  ): Promise<void> {
    const body: NotificationBody = { type: notice.type, timestamp: notice.at, data: { ...notice.data } };
    if (isReauthMessage(notice))
      body.data.reauthUrl = this.links.create(notice.data.accountId, this.now(), linkLanguage(contact?.locale));
    switch (channel) {
      case 'log':
        return this.log(notice, body);
      case 'webhook':
      case 'operator_webhook':
        return this.post(this.receiver(channel), notice.id, body, signal);
      case 'email':
        return this.email(notice.id, body, contact, signal);
    }
  }

  /** Where a webhook channel posts and the secrets that sign for it; PermanentDeliveryError if one is missing. */
  private receiver(channel: 'webhook' | 'operator_webhook'): WebhookReceiver {
    const [url, signers, urlVariable, secretVariable, what] =
      channel === 'webhook'
        ? [
            this.config.webhookUrl,
            this.signers,
            'NOTIFY_WEBHOOK_URL',
            'NOTIFY_WEBHOOK_SECRET',
            'the notification webhook',
          ]
        : [
            this.config.operatorWebhookUrl,
            this.operatorSigners,
            'OPERATOR_WEBHOOK_URL',
            'OPERATOR_WEBHOOK_SECRET',
            'the operator webhook',
          ];
    if (!url) throw new PermanentDeliveryError(`${urlVariable} is not set`);
    if (signers.length === 0) throw new PermanentDeliveryError(`${secretVariable} is not set; cannot sign ${what}`);
    return { url, signers, what };
  }

  private log(notice: Notice, body: NotificationBody): void {
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

  /** One email, stopped (its SMTP session closed) at the deadline or when `cancelled` aborts. */
  private async email(id: string, body: NotificationBody, contact: Contact | null, cancelled?: AbortSignal) {
    if (!contact?.email) throw new PermanentDeliveryError('no email registered for the owner');
    const { smtpUrl, from } = this.config;
    if (!this.config.channels.includes('email') || !smtpUrl || !from)
      throw new PermanentDeliveryError('email is on but SMTP_URL or NOTIFY_FROM is missing');
    const { subject, text, html } = this.emailContent(body, contact);
    const deadlineMs = this.config.emailDeadlineMs ?? EMAIL_DEADLINE_MS;
    const deadline = AbortSignal.timeout(deadlineMs);
    const stop = cancelled ? AbortSignal.any([deadline, cancelled]) : deadline;
    let mailer: Transporter | undefined;
    try {
      mailer = await untilAborted(this.smtpTransport(smtpUrl), stop);
      const message = { from, to: contact.email, subject, text, html, messageId: `<${id}@mono-reauth>` };
      await mailer.sendMail({ ...message, signal: stop });
    } catch (err) {
      if (stop.aborted)
        throw new TransientDeliveryError(
          deadline.aborted
            ? `the SMTP server did not finish within ${deadlineMs / 1000} s; the send was stopped; retrying`
            : 'the email attempt was cancelled; its SMTP session was closed'
        );
      if (err instanceof PermanentDeliveryError || err instanceof TransientDeliveryError || !mailer) throw err;
      throw smtpFailure(err);
    } finally {
      mailer?.close();
    }
  }

  /** The email in the owner's language; PermanentDeliveryError for a notice type owners have no message for. */
  private emailContent(body: NotificationBody, contact: Contact) {
    if (!isOwnerMessageType(body.type)) throw new PermanentDeliveryError(`owners have no email for ${body.type}`);
    const messages = this.config.messages ?? builtInOwnerMessages();
    return messages.renderOwnerMessage({
      type: body.type,
      channel: 'email',
      locale: contact.locale,
      vars: { link: body.data.reauthUrl },
    });
  }

  /**
   * A transport to the SMTP server's address, resolved once here and checked: nodemailer connects to that address
   * and resolves nothing itself; TLS asks for (SNI) and verifies the certificate of the host name in SMTP_URL.
   */
  private async smtpTransport(smtpUrl: string): Promise<Transporter> {
    let host: string;
    let addresses: Array<{ address: string }>;
    try {
      host = checkScheme(smtpUrl, this.policy(), 'SMTP_URL').hostname.replace(/^\[|\]$/g, '');
      addresses = await checkHost(host, this.policy(), 'SMTP_URL');
    } catch (err) {
      if (err instanceof OutboundRefused) throw new PermanentDeliveryError(err.message);
      throw err;
    }
    if (!addresses[0]) throw new TransientDeliveryError(`SMTP_URL: ${host} has no address; retrying`);
    return createTransport({
      requireTLS: this.config.smtpRequireTls ?? true,
      ...SMTP_TIMEOUTS,
      ...parseConnectionUrl(smtpUrl),
      host: addresses[0].address,
      ...(isIP(host) === 0 ? { servername: host } : {}),
    });
  }

  private policy(): OutboundPolicy {
    return this.config.outbound ?? STRICT_OUTBOUND;
  }

  private async post(
    { url, signers, what }: WebhookReceiver,
    id: string,
    body: NotificationBody,
    cancelled?: AbortSignal
  ): Promise<void> {
    const payload = JSON.stringify(body);
    const timestamp = new Date(this.now());
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
      // One `v1,<signature>` per secret, space-separated (Standard Webhooks): a receiver accepts with any of them.
      'webhook-signature': signers.map((signer) => signer.sign(id, timestamp, payload)).join(' '),
    };
    let res: Response;
    try {
      // Never follows a redirect: it would re-post the signed body to wherever the redirect points.
      res = await fetchWithoutRedirects(
        url,
        { method: 'POST', headers, body: payload, signal: withTimeout(cancelled, this.config.timeoutMs ?? 10_000) },
        this.policy(),
        what
      );
    } catch (err) {
      if (err instanceof OutboundRefused) throw new PermanentDeliveryError(err.message);
      throw new TransientDeliveryError(`could not reach ${what} (${(err as Error).message}); retrying`, undefined, {
        cause: err,
      });
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.ok) return;
    const message = `${what} answered ${res.status}`;
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429)
      throw new PermanentDeliveryError(`${message}; fix the receiver`);
    const retryAfterMs =
      res.status === 429 || res.status === 503
        ? parseRetryAfter(res.headers.get('retry-after'), this.now())
        : undefined;
    throw new TransientDeliveryError(`${message}; retrying`, retryAfterMs);
  }
}

const withTimeout = (signal: AbortSignal | undefined, ms: number): AbortSignal =>
  signal ? AbortSignal.any([signal, AbortSignal.timeout(ms)]) : AbortSignal.timeout(ms);

/** A signer per secret of a comma-separated list. */
function signersOf(secrets: string | undefined): Webhook[] {
  return (secrets ?? '')
    .split(',')
    .map((secret) => secret.trim())
    .filter((secret) => secret !== '')
    .map((secret) => new Webhook(secret));
}

/** A failed send as a delivery error; SMTP replies and nodemailer's messages can quote the recipient: codes only. */
function smtpFailure(err: unknown): PermanentDeliveryError | TransientDeliveryError {
  const { responseCode, code } = err as { responseCode?: number; code?: string };
  const codes = [code, responseCode].filter((c) => c !== undefined).join(', ') || 'no code';
  if (responseCode !== undefined && responseCode >= 500 && responseCode < 600)
    return new PermanentDeliveryError(`the SMTP server refused the message (${codes})`);
  if (code === 'ETLS' || code === 'EAUTH')
    return new PermanentDeliveryError(`the SMTP server could not be used (${codes}): check SMTP_URL`);
  // No `cause`: Temporal records an error's causes in history, and this one can quote the recipient.
  return new TransientDeliveryError(`could not send the email (${codes}); retrying`);
}
