/**
 * The durable opt-outs of phone numbers from SMS and WhatsApp (src/workflows/phone-opt-out.ts): a number has opted
 * out while its opt-out workflow runs. Numbers are found by their keyed HMAC only (PHONE_LOOKUP_SECRET), so neither
 * Temporal's ids nor its visibility ever hold one; the workflow's input carries only where and when.
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { phoneLookupKey } from '../lib/phone.js';
import { optInSignal, PHONE_OPT_OUT_PREFIX, type OptOutSource, type phoneOptOut } from '../workflows/phone-opt-out.js';

export interface PhoneOptOuts {
  isOptedOut(phone: string): Promise<boolean>;
  /** Records the opt-out; true if it is new (the number had not opted out). */
  optOut(phone: string, source: OptOutSource): Promise<boolean>;
  /** Ends an opt-out; true if there was one. */
  optIn(phone: string, source: OptOutSource): Promise<boolean>;
}

export interface PhoneOptOutTarget {
  client: Client;
  taskQueue: string;
  /** PHONE_LOOKUP_SECRET: the key of the HMAC that names a number. Changing it forgets every opt-out. */
  lookupSecret: string;
  now?: () => number;
}

export function createPhoneOptOuts({
  client,
  taskQueue,
  lookupSecret,
  now = Date.now,
}: PhoneOptOutTarget): PhoneOptOuts {
  const workflowId = (phone: string): string => `${PHONE_OPT_OUT_PREFIX}${phoneLookupKey(phone, lookupSecret)}`;
  const running = async (phone: string): Promise<boolean> => {
    try {
      const described = await client.workflow.getHandle(workflowId(phone)).describe();
      return described.status.name === 'RUNNING';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  };
  return {
    isOptedOut: running,
    async optOut(phone, source) {
      if (await running(phone)) return false;
      await client.workflow.start<typeof phoneOptOut>('phoneOptOut', {
        workflowId: workflowId(phone),
        taskQueue,
        args: [{ source, at: new Date(now()).toISOString() }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      });
      return true;
    },
    async optIn(phone, source) {
      if (!(await running(phone))) return false;
      await client.workflow
        .getHandle(workflowId(phone))
        .signal(optInSignal, { source, at: new Date(now()).toISOString() });
      return true;
    },
  };
}
