/**
 * Checks of signal and update payloads. Signals can be sent by anyone with write access to Temporal (`temporal
 * workflow signal`, the Web UI), and a payload the code cannot use, or one meant for another account, must be
 * ignored with a log line, never fail every later workflow task. Sandbox-safe.
 */
import { isValidTimeZone } from '../model/quiet-hours.js';
import type { LifecycleSettings } from '../model/settings.js';
import {
  DATA_STATUSES,
  MONO_EVENT_KINDS,
  type AccountEvent,
  OWNER_LOCALES,
  type Contact,
  type RedeliverRequest,
} from '../model/types.js';

/** True for a payload the state machine can apply (the ingress only sends these). */
export function isAccountEvent(event: AccountEvent | undefined): event is AccountEvent {
  return (
    !!event &&
    typeof event === 'object' &&
    typeof event.accountId === 'string' &&
    typeof event.deliveryKey === 'string' &&
    (MONO_EVENT_KINDS as readonly string[]).includes(event.kind) &&
    (event.dataStatus === undefined || (DATA_STATUSES as readonly string[]).includes(event.dataStatus))
  );
}

/** Settings that came with an event, when they are usable: an object with the two required numbers. */
export function isLifecycleSettings(settings: unknown): settings is LifecycleSettings {
  if (!settings || typeof settings !== 'object') return false;
  const { dedupeWindowMs, historyEventsPerRun } = settings as LifecycleSettings;
  return isPositive(dedupeWindowMs) && isPositive(historyEventsPerRun);
}

/** An address as the admin API accepts it: one @, something on each side, no spaces, at most 254 characters. */
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * The contact to register, or undefined when the payload is not one (not an address, an unknown time zone, a
 * language this build has no templates for).
 */
export function contactFrom(contact: Contact | undefined): Contact | undefined {
  if (!contact || typeof contact !== 'object') return undefined;
  const { email, timeZone, locale } = contact;
  if (locale !== undefined && locale !== null && !(OWNER_LOCALES as readonly unknown[]).includes(locale))
    return undefined;
  if (timeZone !== undefined && timeZone !== null && (typeof timeZone !== 'string' || !isValidTimeZone(timeZone)))
    return undefined;
  if (email !== undefined && email !== null && (typeof email !== 'string' || email.length > 254 || !EMAIL.test(email)))
    return undefined;
  if (email === undefined && timeZone === undefined && locale === undefined) return undefined;
  return {
    ...(email !== undefined ? { email } : {}),
    ...(timeZone !== undefined ? { timeZone } : {}),
    ...(locale !== undefined ? { locale } : {}),
  };
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

function isPositive(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}
