/** Notification activities, built by a factory over a Notifier. */
import { ApplicationFailure } from '@temporalio/activity';
import type { Contact, Notice } from '../../workflows/account-lifecycle/types.js';
import { FAILURE } from '../failures.js';
import { PermanentDeliveryError, type Notifier } from './notifier.js';

export function createNotifyActivities({ notifier }: { notifier: Notifier }) {
  return {
    /** Sends one notice on every configured channel. The notice id stays the same across retries. */
    async deliverNotice(notice: Notice, contact?: Contact | null): Promise<void> {
      try {
        await notifier.deliver(notice, contact ?? null);
      } catch (err) {
        if (err instanceof PermanentDeliveryError) {
          throw ApplicationFailure.create({
            message: err.message,
            type: FAILURE.notifyMisconfigured,
            nonRetryable: true,
          });
        }
        throw err;
      }
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
