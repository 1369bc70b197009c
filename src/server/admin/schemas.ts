/**
 * The admin API's inputs and answers as zod schemas: the routes validate with them (server/admin/routes.ts) and
 * the OpenAPI document is generated from them (server/openapi.ts), so the two cannot drift apart.
 */
import { z } from 'zod';
import { AccountFilter } from '../../accounts/query.js';
import { ACCOUNT_ID_PATTERN } from '../../workflows/account-lifecycle/api/messages.js';
import { isValidTimeZone } from '../../workflows/account-lifecycle/model/quiet-hours.js';
import { ACCOUNT_STATES, OWNER_LOCALES } from '../../workflows/account-lifecycle/model/types.js';
import { JOB_KINDS } from '../../jobs/api.js';
import { parseDuration } from '../../lib/duration.js';
import { parseE164 } from '../../lib/phone.js';

export const AccountIdParam = z.string().regex(ACCOUNT_ID_PATTERN, 'is not an account id');
export const AccountPath = z.object({ accountId: AccountIdParam.meta({ description: "Mono's account id" }) });

export const ListQuery = AccountFilter.extend({
  escalated: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  pageSize: z.coerce.number().int().min(1).max(1000).default(100),
  pageToken: z.string().max(4096).optional().meta({ description: 'nextPageToken of the previous page' }),
});
export const OperatorBody = z.object({ reason: z.string().max(200).optional() }).strict();
const isoTime = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 time, e.g. 2026-12-01T00:00:00Z' });
export const RedeliverBody = z
  .object({ noticeIds: z.array(z.string().min(1).max(200)).min(1).max(100).optional(), since: isoTime.optional() })
  .strict();
/** A duration such as `90s`, `10m` or `2h`, in ms; at most a day. */
const window = z.string().transform((text, ctx) => {
  try {
    const ms = parseDuration(text);
    if (ms <= 86_400_000) return ms;
  } catch {
    // reported below
  }
  ctx.addIssue({ code: 'custom', message: 'must be a duration of at most a day, e.g. 0s, 90s, 10m, 2h' });
  return z.NEVER;
});
export const RedeliverAllBody = z
  .object({
    since: isoTime.optional(),
    spreadOver: window
      .optional()
      .meta({ description: 'spread the requeued first attempts over this window (default REDELIVER_SPREAD)' }),
    dryRun: z.boolean().optional().meta({ description: 'count the accounts and dead letters; requeue nothing' }),
  })
  .strict();
export const JobPath = z.object({
  jobId: z
    .string()
    .max(100)
    .meta({ description: 'a job id, as a job answer gives it: redeliver-<run id> or import-<run id>' }),
});
export const UndeliveredQuery = z
  .object({ since: isoTime.optional(), limit: z.coerce.number().int().min(1).max(10_000).default(1000) })
  .strict();
/** A phone number in E.164 that exists in its country's numbering plan (libphonenumber-js); never echoed. */
export const PhoneNumber = z
  .string()
  .max(16)
  .refine((text) => parseE164(text) !== undefined, 'must be a valid phone number in E.164, e.g. +2348031234567');
export const ContactBody = z
  .object({
    email: z.email('must be an email address').max(254).nullable().optional(),
    timeZone: z.string().refine(isValidTimeZone, 'must be an IANA time zone, e.g. Africa/Lagos').nullable().optional(),
    locale: z
      .enum(OWNER_LOCALES, { error: `must be one of ${OWNER_LOCALES.join(', ')}` })
      .nullable()
      .optional()
      .meta({ description: "the owner's language for messages and the re-auth page; unset or null: English" }),
    phone: PhoneNumber.nullable().optional().meta({ description: 'E.164; reached by the sms and whatsapp channels' }),
    whatsApp: z.boolean().nullable().optional().meta({ description: 'the owner agreed to WhatsApp messages' }),
  })
  .strict()
  .refine(
    (c) =>
      c.email !== undefined ||
      c.timeZone !== undefined ||
      c.locale !== undefined ||
      c.phone !== undefined ||
      c.whatsApp !== undefined,
    'give email, timeZone, locale, phone and/or whatsApp (null clears one)'
  );

/** "path: message; …" for a 400 answer; names fields, never echoes values. */
export const issues = (error: z.ZodError): string =>
  error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

// Answers.
const State = z.enum(ACCOUNT_STATES);
const Time = z.string().meta({ description: 'ISO-8601 time' });
export const ErrorBody = z.object({ error: z.string() });
const AccountHead = z.object({
  accountId: z.string(),
  state: State.nullable(),
  since: Time.nullable(),
  escalated: z.boolean(),
  institution: z.string().nullable(),
});
export const AccountSummary = AccountHead.extend({ undelivered: z.boolean() });
export const AccountPage = z.object({ accounts: z.array(AccountSummary), nextPageToken: z.string().nullable() });
export const AccountView = z.looseObject({
  ...AccountHead.shape,
  attempts: z.number().int(),
  history: z.array(z.object({ at: Time, from: State.nullable(), to: State, cause: z.string() })),
});
export const AccountStatus = z.object({
  state: State.nullable().meta({ description: 'null: known only by its registered contact (no event from Mono yet)' }),
  since: Time.nullable(),
  needsReauth: z.boolean().meta({ description: 'true while the owner must re-authorise (state reauth_required)' }),
});
export const ReauthLink = z.object({
  url: z.url().meta({ description: 'a freshly signed link to the re-auth page; give it to the owner' }),
  expiresAt: Time,
  state: z.literal('reauth_required'),
  institution: z.string().nullable(),
});
export const Accepted = z.object({ accepted: z.literal(true) });
export const RetryAccepted = z.object({ state: State, syncAt: Time });
export const ResendAccepted = z.object({ noticeId: z.string() });
const Notice = z.looseObject({ id: z.string(), type: z.string(), at: Time });
export const AccountNotices = z.object({
  accountId: z.string(),
  pending: z.array(Notice),
  undelivered: z.array(Notice.extend({ channel: z.string(), failedAt: Time, error: z.string() })),
});
export const RedeliverAccepted = z.object({
  requeued: z.array(z.string()),
  skipped: z.array(z.object({ id: z.string(), channel: z.string(), reason: z.string() })),
});
export const UndeliveredNotices = z.object({
  notices: z.array(Notice.extend({ accountId: z.string(), channel: z.string(), failedAt: Time, error: z.string() })),
  truncated: z.boolean(),
});
const JobProgress = z.object({
  kind: z.enum(JOB_KINDS),
  dryRun: z.boolean(),
  startedAt: Time,
  planned: z.number().int().nullable().meta({ description: 'accounts the job expects to go through' }),
  done: z.number().int(),
  counts: z.record(z.string(), z.number().int()).meta({
    description:
      'redeliver: accounts, requeued, skipped (notices), refused, failed; dry run: accounts, notices; import: started, known, closed, failed',
  }),
  failures: z.array(z.object({ accountId: z.string(), error: z.string() })),
  cancelled: z.boolean(),
  finishedAt: Time.nullable(),
});
export const Job = z.object({
  id: z.string(),
  kind: z.enum(JOB_KINDS),
  status: z.enum(['running', 'completed', 'cancelled', 'failed']),
  startedAt: Time,
  closedAt: Time.nullable(),
  progress: JobProgress.nullable(),
  error: z.string().optional(),
});
export const JobList = z.object({ jobs: z.array(Job) });
export const JobConflict = z.object({ error: z.string(), job: Job });
export const FunnelQuery = z
  .object({
    since: z.string().max(64).optional().meta({
      description: 'prompts that began since: an ISO-8601 time, or a duration back from now such as 7d (default 7d)',
    }),
  })
  .strict();
const FunnelGroup = z.object({
  prompted: z.number().int().meta({ description: 'owners prompted (a stay in reauth_required began) in the window' }),
  reauthorised: z.number().int(),
  waiting: z.number().int().meta({ description: 'still in reauth_required' }),
  rate: z.number().nullable().meta({ description: 'reauthorised / prompted; null when nobody was prompted' }),
  medianSeconds: z.number().nullable().meta({ description: 'from reauth_required to reauthorised' }),
  p90Seconds: z.number().nullable(),
});
export const FunnelReport = z.object({
  since: Time,
  until: Time,
  overall: FunnelGroup,
  byChannels: z.array(
    FunnelGroup.extend({
      channels: z.string().meta({
        description: 'owner channels that delivered a prompt, joined by + (none: no channel did; unknown: not indexed)',
      }),
    })
  ),
  byInstitution: z.array(FunnelGroup.extend({ institution: z.string().meta({ description: 'unknown: not known' }) })),
  waitingPromptedBefore: z.number().int().meta({ description: 'still waiting, prompted before the window' }),
});
export const ImportPreview = z.object({
  dryRun: z.literal(true),
  total: z.number().int(),
  new: z.number().int(),
  known: z.number().int(),
});

/** A bank-wide incident (src/incidents/client.ts); the counts are absent when its workflow ended otherwise. */
export const Incident = z.object({
  workflowId: z.string(),
  institution: z.string(),
  status: z.string().describe('open, closing, closed; or the workflow status (failed, terminated…)'),
  startedAt: Time,
  openedAt: Time.optional(),
  closedAt: Time.nullable().optional(),
  closeReason: z.enum(['recovered', 'expired', 'operator']).nullable().optional(),
  accounts: z.number().int().optional().describe("the institution's running accounts at the last count"),
  failing: z.number().int().optional().describe('of those, in sync_failed or reauth_required'),
  peakFailing: z.number().int().optional(),
  held: z.number().int().optional().describe('accounts the incident holds'),
  belowSince: Time.nullable().optional(),
  heldNotices: z.number().int().nullable().optional().describe('on close: notices the accounts held'),
  releasedNotices: z.number().int().nullable().optional().describe('on close: held notices still true, sent'),
});
export const IncidentList = z.object({ incidents: z.array(Incident) });
