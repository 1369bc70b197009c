/**
 * Owners' phone numbers: validated as E.164 (libphonenumber-js with full metadata: the number must exist in its
 * country's numbering plan, not only have the right length), masked for logs, and turned into the keyed HMAC by
 * which opt-outs are found (a number is never an id, a search attribute or a log field).
 */
import { createHmac } from 'node:crypto';
import { parsePhoneNumberWithError } from 'libphonenumber-js/max';

/** `+` and 8 to 15 digits, the first not 0: the shape of E.164. */
export const E164_PATTERN = /^\+[1-9]\d{7,14}$/;

/** The number in E.164 when `text` is a valid number written in E.164, else undefined. */
export function parseE164(text: string): string | undefined {
  if (!E164_PATTERN.test(text)) return undefined;
  try {
    const number = parsePhoneNumberWithError(text);
    return number.isValid() && number.number === text ? number.number : undefined;
  } catch {
    return undefined;
  }
}

/** `+234•••••••78`: the country code's first digits and the last two, for logs that must not carry the number. */
export function maskPhone(phone: string): string {
  if (phone.length < 7) return '•••';
  return `${phone.slice(0, 4)}${'•'.repeat(phone.length - 6)}${phone.slice(-2)}`;
}

/** The keyed HMAC (SHA-256, hex) of a number in E.164: the only form in which a number names anything durable. */
export function phoneLookupKey(phone: string, secret: string): string {
  return createHmac('sha256', secret).update(`mono-reauth phone\n${phone}`).digest('hex');
}
