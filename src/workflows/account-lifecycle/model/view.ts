/** The `state` query's answer, read from an account's complete state. Pure. */
import type { CarriedState } from './carried-state.js';
import type { AccountView } from './types.js';

export function accountView(accountId: string, s: CarriedState, historyLength: number): AccountView {
  const r = s.reauth;
  return {
    accountId,
    state: s.state,
    since: s.since,
    escalated: s.escalated,
    attempts: s.attempts,
    institution: s.institution,
    nextSyncAt: isoOrNull(s.sync.nextAtMs),
    lastSync: s.sync.last,
    escalation: s.escalation,
    reauth: r && {
      remindersSent: r.remindersSent,
      nextReminderAt: isoOrNull(r.nextReminderAtMs),
      escalateAt: isoOrNull(r.escalateAtMs),
      lastNoticeAt: isoOrNull(r.lastNoticeAtMs),
    },
    pendingNotices: s.outbox.length,
    notices: {
      pending: s.outbox.map((n) => ({ id: n.id, type: n.type, at: n.at, channels: n.channels ?? {} })),
      undelivered: s.undelivered,
    },
    contact: {
      email: !!s.contact?.email,
      timeZone: s.contact?.timeZone ?? null,
      // Only when registered, so that the answer for owners without one reads as it did before locales.
      ...(s.contact?.locale && { locale: s.contact.locale }),
      ...(s.contact?.phone && { phone: true, whatsApp: s.contact.whatsApp === true }),
    },
    history: s.history,
    lastEvent: s.lastEvent,
    counts: s.counts,
    run: { number: s.runNumber, historyLength },
    check: { last: s.check.last, pending: s.check.pending !== null },
    incident: s.incident
      ? {
          institution: s.incident.institution,
          heldSince: new Date(s.incident.heldAtMs).toISOString(),
          heldNotices: s.incident.heldNotices,
          releaseAt: isoOrNull(s.incident.releaseAtMs),
        }
      : null,
  };
}

function isoOrNull(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
