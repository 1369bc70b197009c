/**
 * The shapes the incident workflows (src/workflows/incidents.ts) and their activities (activities.ts) exchange, in a
 * module of their own so that neither imports the other's values. Types only.
 */
import type { IncidentSettings, InstitutionCounts } from './detect.js';

export type CloseReason = 'recovered' | 'expired' | 'operator';

export interface IncidentCheckInput {
  settings: IncidentSettings;
}

export interface InstitutionIncidentInput {
  institution: string;
  settings: IncidentSettings;
  /** The counts that opened it. */
  opening: InstitutionCounts;
  /** Carried by continue-as-new. */
  progress?: IncidentProgress;
}

/** What an incident knows, as its `incident` query answers it. */
export interface IncidentProgress {
  institution: string;
  status: 'open' | 'closing' | 'closed';
  openedAt: string;
  closedAt: string | null;
  /** recovered, expired (INCIDENT_MAX_OPEN), or operator (the `close` signal). */
  closeReason: CloseReason | null;
  /** Running accounts at the institution, and those failing, at the last count. */
  accounts: number;
  failing: number;
  /** The most accounts seen failing at once. */
  peakFailing: number;
  /** Accounts the incident holds. */
  held: number;
  /** Since when the share failing has been below the close share (ISO-8601), or null. */
  belowSince: string | null;
  /** Filled in on close: notices the accounts held, and those still true (sent on release). */
  heldNotices: number | null;
  releasedNotices: number | null;
}

export interface IncidentCheckResult {
  /** Institutions counted in full, with their counts (failing within the window). */
  counted: InstitutionCounts[];
  /** Institutions whose incident this check started. */
  opened: string[];
}

export interface ReleaseTotals {
  accounts: number;
  held: number;
  stillTrue: number;
  failed: number;
}

export interface ReleaseRequestAll {
  taskQueue: string;
  institution: string;
  spreadMs: number;
}
