/**
 * Zod schemas for Mono's webhooks (docs/mono-events.md) and their normalisation into `AccountEvent`.
 * Every documented variant is accepted: the account id in `data.account._id`, `data.account.id`,
 * `data.account` as a string, or `data.id`; `data_status` in any case. Error messages name the field and
 * never echo values (payloads carry PII).
 */
import { z } from 'zod';
import {
  DATA_STATUSES,
  MONO_EVENT_KINDS,
  type AccountEvent,
  type MonoEventKind,
} from '../../workflows/account-lifecycle/model/types.js';
import { ACCOUNT_ID_PATTERN } from '../../workflows/account-lifecycle/api/messages.js';

export const EVENT_PREFIX = 'mono.events.';

const AccountId = z.string().regex(ACCOUNT_ID_PATTERN, 'must be an id of 1-128 letters, digits, _ . : or -');

export const Envelope = z.object({
  event: z.string().min(1, 'must be a non-empty string'),
  data: z.record(z.string(), z.unknown()),
});

/** `data.account` as an id string, or an object whose `_id` and/or `id` are each valid ids (both checked). */
const AccountObject = z
  .looseObject({ _id: AccountId.optional(), id: AccountId.optional() })
  .refine((a) => a._id !== undefined || a.id !== undefined, { message: 'needs _id or id' });
const AccountRef = z.union([AccountId, AccountObject]);

const IdCarrier = z.looseObject({ account: AccountRef.optional(), id: AccountId.optional() });

const DataStatus = z
  .string()
  .transform((s) => s.toLowerCase())
  .pipe(z.enum(DATA_STATUSES, { message: `must be one of ${DATA_STATUSES.join(', ')} (any case)` }));

const AccountUpdated = IdCarrier.extend({
  meta: z.looseObject({ data_status: DataStatus }),
  account: z.union([
    AccountId,
    AccountObject.and(
      z.looseObject({ institution: z.looseObject({ name: z.string().max(200).optional() }).optional() })
    ),
  ]),
});

const AccountSynced = IdCarrier.extend({ updated: z.boolean().optional() });

/** The result of reading a webhook body that passed authentication. */
export type ParsedWebhook =
  | { kind: 'event'; event: Omit<AccountEvent, 'deliveryKey' | 'receivedAt'> }
  | { kind: 'ignored'; event: string }
  | { kind: 'invalid'; error: string };

/** Validates a parsed JSON body and normalises it. Pure. */
export function parseWebhook(body: unknown): ParsedWebhook {
  const envelope = Envelope.safeParse(body);
  if (!envelope.success) return { kind: 'invalid', error: describe(envelope.error) };
  const { event: name, data } = envelope.data;
  const kind = knownKind(name);
  if (!kind) return { kind: 'ignored', event: name };

  // An event with a schema of its own is parsed with that alone when it passes: it includes IdCarrier, so the ids
  // come out the same. A body that fails it is parsed with IdCarrier too, so that an id problem is reported first.
  const asUpdated = kind === 'account_updated' ? AccountUpdated.safeParse(data) : undefined;
  const asSynced = kind === 'account_synced' ? AccountSynced.safeParse(data) : undefined;
  const own = asUpdated ?? asSynced;
  const ids = own?.success ? own : IdCarrier.safeParse(data);
  if (!ids.success) return { kind: 'invalid', error: describe(ids.error, 'data') };
  const accountId = extractAccountId(ids.data);
  if (!accountId) {
    return {
      kind: 'invalid',
      error: 'data: no account id; expected data.account._id, data.account.id, data.account (string) or data.id',
    };
  }

  if (asUpdated) {
    if (!asUpdated.success) return { kind: 'invalid', error: describe(asUpdated.error, 'data') };
    const account = asUpdated.data.account;
    const institution = typeof account === 'string' ? undefined : account.institution?.name?.trim() || undefined;
    return {
      kind: 'event',
      event: { kind, accountId, dataStatus: asUpdated.data.meta.data_status, ...(institution ? { institution } : {}) },
    };
  }
  if (asSynced) {
    if (!asSynced.success) return { kind: 'invalid', error: describe(asSynced.error, 'data') };
    const { updated } = asSynced.data;
    return { kind: 'event', event: { kind, accountId, ...(updated === undefined ? {} : { updated }) } };
  }
  return { kind: 'event', event: { kind, accountId } };
}

function knownKind(name: string): MonoEventKind | undefined {
  if (!name.startsWith(EVENT_PREFIX)) return undefined;
  const short = name.slice(EVENT_PREFIX.length);
  return (MONO_EVENT_KINDS as readonly string[]).includes(short) ? (short as MonoEventKind) : undefined;
}

function extractAccountId(data: z.output<typeof IdCarrier>): string | undefined {
  const { account } = data;
  if (typeof account === 'string') return account;
  const ref = account as { _id?: string; id?: string } | undefined;
  return ref?._id ?? ref?.id ?? data.id;
}

/** One line per issue, `path: message`, values never included. */
function describe(error: z.ZodError, prefix?: string): string {
  return error.issues
    .map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      return `${path || 'body'}: ${issue.code === 'invalid_union' ? 'must be an account id string or an object with _id or id' : issue.message}`;
    })
    .join('; ');
}
