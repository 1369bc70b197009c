/**
 * The owner's phone channels: SMS (Africa's Talking, africas-talking.ts) and WhatsApp template messages (the Cloud
 * API, whatsapp-cloud.ts), to the number registered with the owner's contact. Before each attempt the number's
 * opt-out is looked up (accounts/phone-opt-outs.ts): an opted-out number is skipped, never sent to. The texts and
 * the WhatsApp template's parameters come from the owner's templates in the owner's language
 * (src/messages/owner-messages.ts); an SMS that takes more than one segment is logged and counted. The number is in
 * no log line and no error.
 */
import type { PhoneOptOuts } from '../../accounts/phone-opt-outs.js';
import type { Logger } from '../../lib/logger.js';
import { STRICT_OUTBOUND, type OutboundPolicy } from '../../lib/outbound.js';
import type { NoticePlan } from '../../workflows/account-lifecycle/model/outbox.js';
import type { Contact, Notice } from '../../workflows/account-lifecycle/model/types.js';
import { isOwnerMessageType, type OwnerMessages } from '../../messages/owner-messages.js';
import { sendAfricasTalkingSms, type AfricasTalkingConfig } from './africas-talking.js';
import { DeliverySkipped, PermanentDeliveryError } from './delivery-errors.js';
import { countSmsSegments, type SmsSegments } from './sms-segments.js';
import { sendWhatsAppTemplate, type WhatsAppCloudConfig } from './whatsapp-cloud.js';

/** What the plan knows of the owner's reach: whether an address, a number and WhatsApp consent are registered. */
export interface OwnerReach {
  email: boolean;
  phone: boolean;
  whatsApp: boolean;
}

/** The part of the notifier's configuration the phone channels read. */
export interface PhoneChannelConfig {
  channels: readonly string[];
  sms?: AfricasTalkingConfig;
  whatsapp?: WhatsAppCloudConfig;
  outbound?: OutboundPolicy;
  timeoutMs?: number;
  simulatedPhoneChannels?: boolean;
}

export interface PhoneChannelDeps {
  config: PhoneChannelConfig;
  logger: Logger;
  now: () => number;
  /** The durable opt-outs; without them (tests of other channels) no number counts as opted out. */
  optOuts?: PhoneOptOuts;
  /** Called for every SMS with its segments (the multi-part metric). */
  onSms?: (notice: Notice, segments: SmsSegments) => void;
  /** The owners' messages (templates) the texts are rendered from. */
  messages: () => OwnerMessages;
}

export const OPTED_OUT = 'the owner opted out of SMS and WhatsApp (a STOP reply or the API)';

export class PhoneChannels {
  constructor(private readonly deps: PhoneChannelDeps) {}

  /** Adds sms and whatsapp to an owner notice's plan, or says why they are skipped. */
  plan(notice: Notice, owner: OwnerReach, plan: NoticePlan): void {
    const { channels, simulatedPhoneChannels } = this.deps.config;
    const on = simulatedPhoneChannels && owner.phone ? [...channels, 'sms', 'whatsapp'] : channels;
    if (on.includes('sms')) {
      if (owner.phone) plan.channels.push('sms');
      else plan.skipped.push({ channel: 'sms', reason: 'no phone registered for the owner' });
    }
    if (on.includes('whatsapp')) {
      const why = !owner.phone
        ? 'no phone registered for the owner'
        : !owner.whatsApp
          ? 'the owner has not agreed to WhatsApp messages'
          : !isOwnerMessageType(notice.type)
            ? `no WhatsApp template for ${notice.type}`
            : undefined;
      if (why) plan.skipped.push({ channel: 'whatsapp', reason: why });
      else plan.channels.push('whatsapp');
    }
  }

  async deliver(
    channel: 'sms' | 'whatsapp',
    notice: Notice,
    link: string | undefined,
    contact: Contact | null,
    signal?: AbortSignal
  ): Promise<void> {
    const phone = contact?.phone;
    if (!phone) throw new PermanentDeliveryError('no phone registered for the owner');
    if (await this.deps.optOuts?.isOptedOut(phone)) throw new DeliverySkipped(OPTED_OUT);
    const { config, now } = this.deps;
    const options = {
      policy: config.outbound ?? STRICT_OUTBOUND,
      timeoutMs: config.timeoutMs ?? 10_000,
      nowMs: now(),
      ...(signal && { signal }),
    };
    if (!isOwnerMessageType(notice.type)) throw new PermanentDeliveryError(`no owner message for ${notice.type}`);
    const request = { type: notice.type, locale: contact?.locale ?? null, vars: { link: link ?? null } };
    if (channel === 'sms')
      return this.sms(
        notice,
        phone,
        this.render(() => this.deps.messages().renderOwnerMessage({ ...request, channel })).text,
        options
      );
    if (!config.whatsapp) throw new PermanentDeliveryError('whatsapp is on but not configured');
    const rendered = this.render(() => this.deps.messages().renderOwnerMessage({ ...request, channel }));
    const template = { name: rendered.template, language: rendered.language, bodyParameters: rendered.parameters };
    await sendWhatsAppTemplate(config.whatsapp, phone, template, options);
    this.deps.logger.info({ notice: notice.id, channel, template: template.name }, 'WhatsApp message sent');
  }

  /** A message rendered from the templates; one that cannot be (an empty WhatsApp parameter) will never be. */
  private render<T>(render: () => T): T {
    try {
      return render();
    } catch (err) {
      throw new PermanentDeliveryError((err as Error).message);
    }
  }

  private async sms(
    notice: Notice,
    phone: string,
    text: string,
    options: Parameters<typeof sendAfricasTalkingSms>[3]
  ): Promise<void> {
    const { config, logger, onSms } = this.deps;
    if (!config.sms) throw new PermanentDeliveryError('sms is on but the SMS provider is not configured');
    const segments = countSmsSegments(text);
    onSms?.(notice, segments);
    if (segments.segments > 1)
      logger.warn({ notice: notice.id, ...segments }, 'SMS takes more than one segment (a long PUBLIC_BASE_URL?)');
    try {
      await sendAfricasTalkingSms(config.sms, phone, text, options);
    } catch (err) {
      // The provider says the number blocked the sender: remembered, so neither channel tries it again.
      if (err instanceof DeliverySkipped) await this.deps.optOuts?.optOut(phone, 'sms_provider');
      throw err;
    }
    logger.info({ notice: notice.id, channel: 'sms', ...segments }, 'SMS sent');
  }
}
