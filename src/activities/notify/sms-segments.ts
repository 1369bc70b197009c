/**
 * How many SMS segments a text takes (3GPP TS 23.038): GSM-7 when every character is in the GSM 03.38 default
 * alphabet or its extension table (extension characters take two septets), otherwise UCS-2. One segment holds 160
 * septets or 70 UCS-2 units; a longer text is split into parts of 153 septets or 67 units (the rest is the
 * concatenation header). Pure.
 */
const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(GSM7_BASIC);
const EXTENSION = new Set(GSM7_EXTENSION);

export interface SmsSegments {
  encoding: 'GSM-7' | 'UCS-2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  units: number;
  segments: number;
}

export function countSmsSegments(text: string): SmsSegments {
  let septets = 0;
  let gsm = true;
  for (const ch of text) {
    if (BASIC.has(ch)) septets += 1;
    else if (EXTENSION.has(ch)) septets += 2;
    else {
      gsm = false;
      break;
    }
  }
  if (gsm) return { encoding: 'GSM-7', units: septets, segments: segmentsOf(septets, 160, 153) };
  return { encoding: 'UCS-2', units: text.length, segments: segmentsOf(text.length, 70, 67) };
}

function segmentsOf(units: number, single: number, part: number): number {
  if (units === 0) return 1;
  return units <= single ? 1 : Math.ceil(units / part);
}
