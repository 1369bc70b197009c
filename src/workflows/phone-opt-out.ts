/**
 * A phone number's opt-out from SMS and WhatsApp, durable: the number has opted out while this workflow runs.
 * Its id is `phone-opt-out-<keyed HMAC of the number>` (src/lib/phone.ts), so the number itself is in no id and no
 * search attribute; a STOP reply or the API starts it (starting it again finds it running), the `optIn` signal ends
 * it. Readers only describe it (running or not), so a check needs no worker. Sandbox code.
 */
import { condition, defineSignal, setHandler, setWorkflowOptions } from '@temporalio/workflow';

/** Where an opt-out came from. */
export type OptOutSource = 'sms_reply' | 'sms_provider' | 'whatsapp_reply' | 'whatsapp_provider' | 'api';

export interface PhoneOptOutInput {
  source: OptOutSource;
  at: string;
}

export const PHONE_OPT_OUT_PREFIX = 'phone-opt-out-';
export const optInSignal = defineSignal<[{ source: OptOutSource; at: string }]>('optIn');

export async function phoneOptOut(input: PhoneOptOutInput): Promise<PhoneOptOutInput> {
  let optedIn = false;
  setHandler(optInSignal, () => void (optedIn = true));
  await condition(() => optedIn);
  return input;
}

setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, phoneOptOut);
