/**
 * The owner-facing short texts: the SMS bodies and the WhatsApp templates (names and body parameters). Kept in one
 * place so that they can be routed through a template library later. An SMS is chosen to fit one GSM-7 segment
 * where possible: the first variant that does, else the shortest (the caller counts and reports the segments).
 */
import type { NoticeType } from '../../workflows/account-lifecycle/model/types.js';
import { countSmsSegments } from './sms-segments.js';

/** Variants of each SMS, friendliest first; `{link}` is the re-auth link. Plain GSM-7 characters only. */
const SMS_VARIANTS: Partial<Record<NoticeType, string[]>> = {
  'account.reauth_required': [
    'Your bank needs you to sign in again to keep your account linked. Reconnect: {link}',
    'Please reconnect your bank account: {link}',
    'Reconnect your bank: {link}',
  ],
  'account.reauth_reminder': [
    'Reminder: your bank account is still disconnected. Reconnect: {link}',
    'Reminder, reconnect your bank: {link}',
    'Reconnect your bank: {link}',
  ],
  'account.recovered': ['Thank you, your bank account is connected again. Nothing more to do.'],
};

const FALLBACK = 'There is an update about your bank account.';

/** The SMS text for a notice type, with the link when it has one. */
export function smsText(type: NoticeType, link?: string): string {
  const variants = (SMS_VARIANTS[type] ?? [FALLBACK]).map((v) => v.replace('{link}', link ?? '').trim());
  return variants.find((text) => countSmsSegments(text).segments === 1) ?? shortest(variants);
}

/** A WhatsApp template: its name as approved in WhatsApp Manager and its body parameters, in order. */
export interface WhatsAppTemplate {
  name: string;
  bodyParameters: string[];
}

/** Template names as they must be created (and approved) in WhatsApp Manager; `{{1}}` is the link where there is one. */
export const WHATSAPP_TEMPLATES: Partial<Record<NoticeType, { name: string; text: string }>> = {
  'account.reauth_required': {
    name: 'bank_reauth_required',
    text: 'Your bank needs you to sign in again to keep your account linked. Reconnect here: {{1}}',
  },
  'account.reauth_reminder': {
    name: 'bank_reauth_reminder',
    text: 'Reminder: your bank account is still disconnected. Reconnect here: {{1}}',
  },
  'account.recovered': {
    name: 'bank_reconnected',
    text: 'Thank you, your bank account is connected again. There is nothing more to do.',
  },
};

/** The template for a notice type, or undefined when none is defined (the channel then refuses the notice). */
export function whatsAppTemplate(type: NoticeType, link?: string): WhatsAppTemplate | undefined {
  const template = WHATSAPP_TEMPLATES[type];
  if (!template) return undefined;
  return { name: template.name, bodyParameters: template.text.includes('{{1}}') && link ? [link] : [] };
}

function shortest(texts: string[]): string {
  return texts.reduce((a, b) => (b.length < a.length ? b : a));
}
