import { describe, expect, it } from 'vitest';
import { recipientOutcome } from '../../src/activities/notify/africas-talking.js';
import {
  DeliverySkipped,
  PermanentDeliveryError,
  TransientDeliveryError,
} from '../../src/activities/notify/delivery-errors.js';
import { builtInOwnerMessages, type OwnerMessageType } from '../../src/messages/owner-messages.js';
import { countSmsSegments } from '../../src/activities/notify/sms-segments.js';
import { graphError, templateMessage } from '../../src/activities/notify/whatsapp-cloud.js';
import { maskPhone, parseE164, phoneLookupKey } from '../../src/lib/phone.js';
import { replyIntent } from '../../src/server/webhooks/stop-words.js';
import { inboundWhatsAppMessages } from '../../src/server/webhooks/phone-callbacks.js';
import { contactFrom } from '../../src/workflows/account-lifecycle/api/payloads.js';

const LINK =
  'https://reauth.example.com/reauth/5fbcde8f8699984153e65537?exp=1765100000&kid=AbCdEfGh12&sig=' + 'x'.repeat(43);

describe('SMS segments', () => {
  it('counts GSM-7 septets, extension characters as two, and splits long texts into parts of 153', () => {
    expect(countSmsSegments('')).toEqual({ encoding: 'GSM-7', units: 0, segments: 1 });
    expect(countSmsSegments('a'.repeat(160))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSmsSegments('a'.repeat(161))).toEqual({ encoding: 'GSM-7', units: 161, segments: 2 });
    expect(countSmsSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSmsSegments('a'.repeat(307)).segments).toBe(3);
    expect(countSmsSegments('€'.repeat(80))).toEqual({ encoding: 'GSM-7', units: 160, segments: 1 });
    expect(countSmsSegments(`${'a'.repeat(159)}[`).segments).toBe(2);
  });

  it('falls back to UCS-2 for anything outside GSM 03.38: 70 units, then parts of 67', () => {
    expect(countSmsSegments('Ọ̀rẹ́')).toMatchObject({ encoding: 'UCS-2', segments: 1 });
    expect(countSmsSegments('₦'.repeat(70))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
    expect(countSmsSegments('₦'.repeat(71))).toEqual({ encoding: 'UCS-2', units: 71, segments: 2 });
    expect(countSmsSegments('👍'.repeat(35))).toEqual({ encoding: 'UCS-2', units: 70, segments: 1 });
  });
});

describe('short texts from the built-in templates', () => {
  const messages = builtInOwnerMessages();
  const sms = (type: OwnerMessageType, link: string) =>
    messages.renderOwnerMessage({ type, channel: 'sms', locale: 'en', vars: { link } }).text;

  it('writes each English SMS in one GSM-7 segment with a typical re-auth link, the link whole', () => {
    for (const type of ['account.reauth_required', 'account.reauth_reminder', 'account.recovered'] as const) {
      const text = sms(type, LINK);
      expect(countSmsSegments(text)).toMatchObject({ encoding: 'GSM-7', segments: 1 });
      if (type !== 'account.recovered') expect(text).toContain(LINK);
    }
  });

  it('keeps the link whole when it is too long for one segment', () => {
    const long = `${LINK}&pad=${'y'.repeat(200)}`;
    const text = sms('account.reauth_required', long);
    expect(text).toContain(long);
    expect(countSmsSegments(text).segments).toBeGreaterThan(1);
  });

  it('fills a WhatsApp template per owner notice, with the link as a body parameter, in the owner’s language', () => {
    const en = messages.renderOwnerMessage({
      type: 'account.reauth_required',
      channel: 'whatsapp',
      locale: 'en',
      vars: { link: LINK },
    });
    expect(en).toEqual({ template: 'account_reauth_required', language: 'en', parameters: ['your app', LINK] });
    const sw = messages.renderOwnerMessage({ type: 'account.recovered', channel: 'whatsapp', locale: 'sw', vars: {} });
    expect(sw).toEqual({ template: 'account_recovered', language: 'sw', parameters: ['programu yako'] });
  });
});

describe('phone numbers', () => {
  it('accepts valid E.164 numbers only, checked against the numbering plan', () => {
    expect(parseE164('+2348031234567')).toBe('+2348031234567');
    expect(parseE164('+254712345678')).toBe('+254712345678');
    expect(parseE164('08031234567')).toBeUndefined();
    expect(parseE164('+234 803 123 4567')).toBeUndefined();
    expect(parseE164('+2340000000000')).toBeUndefined();
    expect(parseE164('+999123456789')).toBeUndefined();
  });

  it('masks numbers and names them by a keyed HMAC only', () => {
    expect(maskPhone('+2348031234567')).toBe('+234••••••••67');
    const key = phoneLookupKey('+2348031234567', 'k1');
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(key).not.toContain('8031234567');
    expect(phoneLookupKey('+2348031234567', 'k2')).not.toBe(key);
  });

  it('the workflow keeps a phone contact in E.164 and refuses anything else', () => {
    expect(contactFrom({ phone: '+2348031234567', whatsApp: true })).toEqual({
      phone: '+2348031234567',
      whatsApp: true,
    });
    expect(contactFrom({ phone: null })).toEqual({ phone: null });
    expect(contactFrom({ phone: '08031234567' })).toBeUndefined();
    expect(contactFrom({ whatsApp: 'yes' as unknown as boolean })).toBeUndefined();
    expect(contactFrom({ email: 'a@b.co' })).toEqual({ email: 'a@b.co' });
  });
});

describe('replies', () => {
  it('reads STOP and START by their first word, in any case', () => {
    expect(replyIntent('STOP')).toBe('stop');
    expect(replyIntent(' stop please')).toBe('stop');
    expect(replyIntent('Unsubscribe.')).toBe('stop');
    expect(replyIntent('start')).toBe('start');
    expect(replyIntent('hello')).toBeUndefined();
    expect(replyIntent(undefined)).toBeUndefined();
  });

  it("finds inbound messages in Meta's webhook, text and button replies", () => {
    const payload = {
      entry: [
        {
          changes: [
            {
              value: {
                messages: [
                  { from: '2348031234567', type: 'text', text: { body: 'STOP' } },
                  { from: '254712345678', type: 'button', button: { text: 'Stop promotions' } },
                ],
                statuses: [{ id: 'wamid.x', status: 'delivered' }],
              },
            },
          ],
        },
      ],
    };
    expect(inboundWhatsAppMessages(payload)).toEqual([
      { from: '2348031234567', text: 'STOP' },
      { from: '254712345678', text: 'Stop promotions' },
    ]);
    expect(inboundWhatsAppMessages({ nothing: true })).toEqual([]);
  });
});

describe("providers' answers", () => {
  it("maps Africa's Talking recipient codes: sent, skipped (blacklist), transient, permanent", () => {
    expect(recipientOutcome({ statusCode: 101, messageId: 'ATXid_1' })).toBe('ATXid_1');
    expect(() => recipientOutcome({ statusCode: 406 })).toThrow(DeliverySkipped);
    expect(() => recipientOutcome({ statusCode: 405 })).toThrow(TransientDeliveryError);
    expect(() => recipientOutcome({ statusCode: 502 })).toThrow(TransientDeliveryError);
    expect(() => recipientOutcome({ statusCode: 403 })).toThrow(PermanentDeliveryError);
    expect(() => recipientOutcome({ statusCode: 403 })).toThrow(/403 InvalidPhoneNumber/);
  });

  it('maps Graph API error codes: token, rate limits, temporary, undeliverable, templates', () => {
    expect(graphError({ code: 190 }, 't')).toBeInstanceOf(PermanentDeliveryError);
    const limited = graphError({ code: 130429 }, 't', 60_000);
    expect(limited).toBeInstanceOf(TransientDeliveryError);
    expect((limited as TransientDeliveryError).retryAfterMs).toBe(60_000);
    expect(graphError({ code: 131000 }, 't')).toBeInstanceOf(TransientDeliveryError);
    expect(graphError({ code: 131026 }, 't')).toBeInstanceOf(PermanentDeliveryError);
    expect(graphError({ code: 131050 }, 't')).toBeInstanceOf(DeliverySkipped);
    expect(graphError({ code: 132001 }, 'bank_reauth_required')?.message).toMatch(/template bank_reauth_required/);
    expect(graphError(undefined, 't')).toBeUndefined();
  });

  it('writes a template message as the Cloud API documents it, the number without +', () => {
    expect(
      templateMessage('+2348031234567', { name: 'bank_reauth_required', language: 'en', bodyParameters: ['L'] })
    ).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '2348031234567',
      type: 'template',
      template: {
        name: 'bank_reauth_required',
        language: { code: 'en' },
        components: [{ type: 'body', parameters: [{ type: 'text', text: 'L' }] }],
      },
    });
  });
});
