/**
 * Bank-wide incidents, the pure part: when an institution's share of failing accounts opens an incident, when the
 * incident closes (hysteresis: it opens at one share and closes below a lower one, kept for a while), the
 * visibility queries behind the counts, and the incident workflow's id. Imported into the workflow sandbox: plain
 * data and functions only.
 */

export interface IncidentSettings {
  /** How often the scheduled check looks for failing institutions, and an open incident recounts. */
  checkEveryMs: number;
  /** Accounts count as failing when they entered `sync_failed` or `reauth_required` within this window. */
  windowMs: number;
  /** An incident opens when at least this share (0–1) of an institution's accounts are failing. */
  openShare: number;
  /** Institutions with fewer running accounts than this never open an incident. */
  minAccounts: number;
  /** An open incident closes once the share failing (any since) stays below this for `closeAfterMs`. */
  closeShare: number;
  closeAfterMs: number;
  /** The held accounts' shared sync schedule: waits from the opening, the last repeating. */
  syncBackoffMs: number[];
  /** On close, held accounts are released spread over this window. */
  releaseSpreadMs: number;
  /** An incident open this long closes anyway (its accounts' owners are then told what is still true). */
  maxOpenMs: number;
}

/** The states an outage puts accounts in. */
export const FAILING_STATES = ['sync_failed', 'reauth_required'] as const;

/** Counts of one institution's running accounts. */
export interface InstitutionCounts {
  institution: string;
  accounts: number;
  failing: number;
}

/** The share failing, 0 when there are no accounts. */
export function failingShare(counts: Pick<InstitutionCounts, 'accounts' | 'failing'>): number {
  return counts.accounts > 0 ? counts.failing / counts.accounts : 0;
}

/** Whether an institution's counts (failing within the window) open an incident. */
export function opensIncident(counts: InstitutionCounts, settings: IncidentSettings): boolean {
  return counts.accounts >= settings.minAccounts && failingShare(counts) >= settings.openShare;
}

/**
 * Institutions worth counting in full, from the failing accounts seen per institution: only one whose failing
 * accounts alone could reach the thresholds.
 */
export function institutionsToCount(failingSeen: Map<string, number>, settings: IncidentSettings): string[] {
  const least = Math.max(1, Math.ceil(settings.minAccounts * settings.openShare));
  return [...failingSeen.entries()]
    .filter(([, failing]) => failing >= least)
    .map(([institution]) => institution)
    .sort();
}

/** What an open incident's recount means. */
export type IncidentDecision =
  { kind: 'open'; belowSinceMs: number | null } | { kind: 'close'; reason: 'recovered' | 'expired' };

/** Keep the incident open, or close it: failing below the close share for long enough, or open too long. */
export function closeDecision(
  counts: InstitutionCounts,
  state: { openedAtMs: number; belowSinceMs: number | null },
  settings: IncidentSettings,
  nowMs: number
): IncidentDecision {
  if (nowMs - state.openedAtMs >= settings.maxOpenMs) return { kind: 'close', reason: 'expired' };
  if (failingShare(counts) >= settings.closeShare) return { kind: 'open', belowSinceMs: null };
  const belowSinceMs = state.belowSinceMs ?? nowMs;
  if (nowMs - belowSinceMs >= settings.closeAfterMs) return { kind: 'close', reason: 'recovered' };
  return { kind: 'open', belowSinceMs };
}

/** When each held account is released: spread evenly over the window from `nowMs`, each jittered within its gap. */
export function releaseTimes(count: number, nowMs: number, spreadMs: number, random: () => number): number[] {
  const gap = count > 0 ? spreadMs / count : 0;
  return Array.from({ length: count }, (_, i) => Math.round(nowMs + gap * (i + random())));
}

/** Institution names that can be written into a visibility query as they are (no quotes, no backslashes). */
const QUERYABLE = /^[\p{L}\p{N} &.,()/_+-]{1,100}$/u;

export function isQueryableInstitution(name: string): boolean {
  return QUERYABLE.test(name);
}

const TASK_QUEUE = /^[A-Za-z0-9._:-]{1,200}$/;

function accountsOf(taskQueue: string): string[] {
  if (!TASK_QUEUE.test(taskQueue)) throw new Error(`task queue ${JSON.stringify(taskQueue)} cannot be queried`);
  return [`WorkflowType = 'accountLifecycle'`, `ExecutionStatus = 'Running'`, `TaskQueue = '${taskQueue}'`];
}

function institutionIs(institution: string): string {
  if (!isQueryableInstitution(institution)) throw new Error('this institution name cannot be queried');
  return `MonoInstitution = '${institution}'`;
}

const failingStates = `MonoAccountState IN (${FAILING_STATES.map((s) => `'${s}'`).join(', ')})`;

/** Accounts that started failing within the window and are not held yet, at any institution. */
export function recentlyFailingQuery(taskQueue: string, sinceMs: number): string {
  const since = new Date(sinceMs).toISOString();
  return [...accountsOf(taskQueue), failingStates, `MonoStateSince >= '${since}'`, 'MonoInstitution IS NOT NULL']
    .concat('MonoIncident IS NULL')
    .join(' AND ');
}

/** An institution's running accounts; `failing`: only those failing now (any since). */
export function institutionQuery(taskQueue: string, institution: string, failing = false): string {
  return [...accountsOf(taskQueue), institutionIs(institution), ...(failing ? [failingStates] : [])].join(' AND ');
}

/** An institution's running accounts not yet held by its incident. */
export function unheldQuery(taskQueue: string, institution: string): string {
  return [...accountsOf(taskQueue), institutionIs(institution), 'MonoIncident IS NULL'].join(' AND ');
}

/** `<taskQueue>-incident-<slug>-<hash>`: readable, only safe characters, one per institution. */
export function incidentWorkflowId(taskQueue: string, institution: string): string {
  const slug = institution
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${taskQueue}-incident-${slug || 'institution'}-${fnv1a(institution)}`;
}

/** FNV-1a, 32 bits, as 8 hex digits: names that slug alike still get ids of their own. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (const char of text) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}
