/**
 * Checks of signal payloads. Signals can be sent by hand (`temporal workflow signal`), and a payload the code
 * cannot use must be ignored with a log line, never fail every later workflow task. Sandbox-safe.
 */
import { isValidTimeZone } from '../model/quiet-hours.js';
import type { LifecycleSettings } from '../model/settings.js';
import {
  DATA_STATUSES,
  MONO_EVENT_KINDS,
  type AccountEvent,
  type Contact,
  type RedeliverRequest,
} from '../model/types.js';

/** A `monoEvent` payload as any release sent it: before settings had their own argument they rode inside it. */
export type RecordedAccountEvent = AccountEvent & { settings?: LifecycleSettings };

/** True for a payload the state machine can apply (the ingress only sends these). */
export function isAccountEvent(event: RecordedAccountEvent | undefined): event is RecordedAccountEvent {
  return (
    !!event &&
    typeof event.accountId === 'string' &&
    typeof event.deliveryKey === 'string' &&
    (MONO_EVENT_KINDS as readonly string[]).includes(event.kind) &&
    (event.dataStatus === undefined || (DATA_STATUSES as readonly string[]).includes(event.dataStatus))
  );
}

/** The service settings that came with an event: their own argument, or inside events of older releases. */
export function settingsWith(event: RecordedAccountEvent, settings: LifecycleSettings | undefined) {
  return settings ?? event.settings;
}

/** The contact to register, or undefined when the payload is not one (a wrong type or an unknown time zone). */
export function contactFrom(contact: Contact | undefined): Contact | undefined {
  const timeZone = contact?.timeZone;
  const email = contact?.email;
  if (timeZone !== undefined && timeZone !== null && (typeof timeZone !== 'string' || !isValidTimeZone(timeZone)))
    return undefined;
  if (email !== undefined && email !== null && typeof email !== 'string') return undefined;
  return { ...(email !== undefined ? { email } : {}), ...(timeZone !== undefined ? { timeZone } : {}) };
}

/** An operator's `retrySync` reason must be a string when given. */
export function isOperatorReason(reason: unknown): boolean {
  return reason === undefined || typeof reason === 'string';
}

/** Why a `redeliverNotices` payload cannot be used, or undefined. */
export function refuseRedeliverRequest(request: RedeliverRequest | undefined): string | undefined {
  if (request === undefined || request === null) return undefined;
  if (typeof request !== 'object') return 'the request must be an object {noticeIds?, since?}';
  const { noticeIds, since } = request;
  if (
    noticeIds !== undefined &&
    (!Array.isArray(noticeIds) || noticeIds.length > 100 || noticeIds.some((id) => typeof id !== 'string'))
  )
    return 'noticeIds must be a list of at most 100 notice ids';
  if (since !== undefined && (typeof since !== 'string' || Number.isNaN(Date.parse(since))))
    return 'since must be an ISO-8601 time';
  return undefined;
}
