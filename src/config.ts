/**
 * The service's configuration: one zod schema over the environment, parsed once at start-up.
 * `loadConfig` reads only the object it is given (and the Temporal profile and certificate files that names) and
 * throws a ConfigError naming every bad variable and what to write instead, never echoing values (some are
 * secrets). Development mode and its defaults: lib/exposure.ts.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { NotifierConfig } from './activities/notify/notifier.js';
import {
  PHONE_ENV,
  PHONE_SECRET_VARIABLES,
  phoneChannelProblems,
  phoneSettings,
} from './activities/notify/phone-config.js';
import type { IncidentSettings } from './incidents/detect.js';
import { formatDuration, parseDuration, parseDurationList } from './lib/duration.js';
import {
  exposureReasons,
  isLoopbackHost,
  nodeEnvWarning,
  secretProblem,
  temporalPlaintextCheck,
} from './lib/exposure.js';
import { DEVELOPMENT_OUTBOUND, type OutboundPolicy } from './lib/outbound.js';
import {
  CodecKeyError,
  isPublishedCodecKey,
  loadOrCreateDevCodecKey,
  parseCodecKeys,
  weakCodecKeyProblem,
  type CodecKey,
} from './temporal/codec.js';
import { loadTemporalTarget, TemporalConnectionError, type TemporalTarget } from './temporal/connection.js';
import type { AccessTokens, Role } from './server/access.js';
import { parseTrustProxy } from './server/trust-proxy.js';
import { isValidTimeZone, QUIET_HOURS_PATTERN } from './workflows/account-lifecycle/model/quiet-hours.js';
import {
  LIFECYCLE_DEFAULTS,
  MIN_SYNC_INTERVAL_MS,
  type LifecycleSettings,
} from './workflows/account-lifecycle/model/settings.js';

/**
 * Development defaults: public values that let `npm start` work with no configuration. They are accepted only in
 * development mode, on this machine alone (see lib/exposure.ts); otherwise start-up is refused.
 */
const DEV_WEBHOOK_SECRET = 'dev-webhook-secret';
const DEV_ADMIN_TOKEN = 'dev-admin-token';
const DEV_LINK_SECRET = 'dev-reauth-link-secret';
const DEV_MONO_PUBLIC_KEY = 'test_pk_mono_reauth_simulator';
/** Secrets of our own making must be at least this long; Mono's webhook secret is Mono's to choose. */
const MIN_SECRET_LENGTH = 32;
const MIN_MONO_WEBHOOK_SECRET_LENGTH = 16;
/** The Standard Webhooks specification asks for secrets of 24 to 64 random bytes. */
const MIN_STANDARD_WEBHOOKS_SECRET_BYTES = 24;
const HOST_PORT = /^[^\s/]+:\d{1,5}$/;

const emptyAsUnset = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;
const optionalString = z.preprocess(emptyAsUnset, z.string().optional());

/** What is wrong with a Standard Webhooks secret (`whsec_` and the base64 of at least 24 bytes), if anything. */
function standardWebhooksSecretProblem(value: string): string | null {
  const encoded = value.slice('whsec_'.length);
  if (!value.startsWith('whsec_')) return 'must start with whsec_ (a Standard Webhooks secret)';
  if (
    !/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ||
    Buffer.from(encoded, 'base64').byteLength < MIN_STANDARD_WEBHOOKS_SECRET_BYTES
  ) {
    return `must be whsec_ and the base64 of at least ${MIN_STANDARD_WEBHOOKS_SECRET_BYTES} random bytes, e.g. whsec_$(openssl rand -base64 32)`;
  }
  return null;
}

/** Standard Webhooks secrets, comma-separated: every one signs, so a receiver may verify with any (rotation). */
const standardWebhooksSecrets = z.string().superRefine((value, ctx) => {
  const secrets = listOf(value);
  if (secrets.length === 0) ctx.addIssue({ code: 'custom', message: 'needs at least one whsec_ secret' });
  secrets.forEach((secret, i) => {
    const problem = standardWebhooksSecretProblem(secret);
    if (problem) ctx.addIssue({ code: 'custom', message: secrets.length > 1 ? `entry ${i + 1}: ${problem}` : problem });
  });
});

/** Within Kubernetes' default 30-second grace, with room for the requests in flight and the stop after. */
const DEFAULT_SHUTDOWN_DRAIN_MS = 20_000;
const TRUST_PROXY_IN_DEVELOPMENT =
  'TRUST_PROXY is set, but in development mode requests that come through a proxy are refused (421)';

const DURATION_HELP = 'is not a duration; write it like 90s, 10m, 2h or 7d';

/** A duration variable; unset, it is `fallback` (a string like `30s`, or milliseconds from a shared default). */
const duration = (fallback: string | number, minMs = 1) =>
  z.preprocess(
    emptyAsUnset,
    z
      .string()
      .default(typeof fallback === 'number' ? formatDuration(fallback) : fallback)
      .transform((text, ctx) => {
        try {
          const ms = parseDuration(text);
          if (ms < minMs) ctx.addIssue({ code: 'custom', message: `must be at least ${formatDuration(minMs)}` });
          return ms;
        } catch {
          ctx.addIssue({ code: 'custom', message: DURATION_HELP });
          return z.NEVER;
        }
      })
  );

/** A share between 0 (exclusive) and 1, written like 0.5. */
const share = (fallback: number) =>
  z.preprocess(
    emptyAsUnset,
    z.coerce
      .number({ error: 'must be a share between 0 and 1, e.g. 0.5' })
      .gt(0, 'must be more than 0')
      .max(1, 'must be at most 1 (a share, e.g. 0.5)')
      .default(fallback)
  );

const durationList = (fallback: readonly number[], minMs = 1) =>
  z.preprocess(
    emptyAsUnset,
    z
      .string()
      .default(fallback.map(formatDuration).join(','))
      .transform((text, ctx) => {
        try {
          const list = parseDurationList(text);
          if (list.some((ms) => ms < minMs)) {
            ctx.addIssue({ code: 'custom', message: `every step must be at least ${minMs / 1000}s` });
            return z.NEVER;
          }
          return list;
        } catch {
          ctx.addIssue({ code: 'custom', message: `${DURATION_HELP} (comma-separated)` });
          return z.NEVER;
        }
      })
  );

const commaList = <T extends string>(values: readonly [T, ...T[]], fallback: string) =>
  z.preprocess(
    emptyAsUnset,
    z
      .string()
      .default(fallback)
      .transform((text) => text.split(',').map((item) => item.trim()))
      .pipe(z.array(z.enum(values)).min(1))
  );

/** The environment variables the service reads and what is valid for each (their meaning: config-reference.ts). */
export const EnvSchema = z
  .object({
    NODE_ENV: optionalString,
    PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).default(3000)),
    HOST: optionalString,
    ADMIN_ADDRESS: z.preprocess(
      emptyAsUnset,
      z.string().regex(HOST_PORT, 'write it as host:port, e.g. 127.0.0.1:3001').optional()
    ),
    LOG_LEVEL: z.preprocess(
      emptyAsUnset,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
    ),
    MONO_WEBHOOK_SECRET: optionalString,
    MONO_SECRET_KEY: optionalString,
    MONO_PUBLIC_KEY: optionalString,
    MONO_API_URL: z.preprocess(emptyAsUnset, z.url().default('https://api.withmono.com')),
    MONO_REQUEST_TIMEOUT: duration('30s', 100),
    MONO_SIM_PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(65535).default(3100)),
    ADMIN_TOKEN: optionalString,
    // Bearer tokens by role (server/access.ts), each a comma-separated rotation list; ADMIN_TOKEN is an operator one.
    OPERATOR_TOKENS: optionalString,
    INTEGRATION_TOKENS: optionalString,
    CODEC_TOKENS: optionalString,
    PUBLIC_BASE_URL: z.preprocess(emptyAsUnset, z.url().optional()),
    TEMPORAL_ADDRESS: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^[^\s:/]+:\d{1,5}$/, 'write it as host:port, e.g. localhost:7233')
        .refine((a) => Number(a.split(':')[1]) <= 65535, 'the port must be at most 65535')
        .default('localhost:7233')
    ),
    TEMPORAL_NAMESPACE: z.preprocess(emptyAsUnset, z.string().min(1).default('default')),
    TEMPORAL_TASK_QUEUE: z.preprocess(emptyAsUnset, z.string().min(1).default('mono-reauth')),
    TEMPORAL_DEPLOYMENT_NAME: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^[A-Za-z0-9_-]{1,100}$/, 'write 1-100 characters of A-Za-z0-9_-, e.g. mono-reauth')
        .default('mono-reauth')
    ),
    TEMPORAL_WORKER_BUILD_ID: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^[A-Za-z0-9_.+-]{1,100}$/, 'write 1-100 characters of A-Za-z0-9_.+-, e.g. 2026.12.07-3f9c2ab')
        .optional()
    ),
    TEMPORAL_WORKER_PROMOTE: z.preprocess(
      emptyAsUnset,
      z.enum(['always', 'first', 'never'], { error: 'write always, first or never' }).optional()
    ),
    TEMPORAL_UI_PORT: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(65535).optional()),
    TEMPORAL_DATA_DIR: z.preprocess(emptyAsUnset, z.string().default('.data')),
    TEMPORAL_CODEC_KEYS: optionalString,
    // Read by @temporalio/envconfig, which takes anything but true or 1 for false: only these four are accepted.
    TEMPORAL_TLS: z.preprocess(
      emptyAsUnset,
      z.enum(['true', 'false', '1', '0'], { error: 'write true or false' }).optional()
    ),
    TEMPORAL_UI_ORIGINS: optionalString,
    // The Web UI's OIDC sign-in, whose users' tokens the codec accepts for decode (server/codec/oidc.ts).
    CODEC_OIDC_ISSUER: z.preprocess(emptyAsUnset, z.url().optional()),
    CODEC_OIDC_AUDIENCE: optionalString,
    CODEC_OIDC_JWKS_URL: z.preprocess(emptyAsUnset, z.url().optional()),
    WORKER_METRICS_ADDRESS: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .regex(/^[^\s:/]+:\d{1,5}$/, 'write it as host:port, e.g. 127.0.0.1:9464, or "off"')
        .or(z.literal('off'))
        .default('127.0.0.1:9464')
    ),
    WORKFLOW_BUNDLE_PATH: optionalString,
    SERVICE_ROLE: z.preprocess(emptyAsUnset, z.enum(['all', 'ingress', 'worker']).default('all')),
    WORKER_MAX_CACHED_WORKFLOWS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(0).max(100_000).optional()),
    WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: z.preprocess(
      emptyAsUnset,
      z.coerce.number().int().min(2).max(10_000).optional()
    ),
    WORKER_MAX_CONCURRENT_ACTIVITIES: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(10_000).optional()),
    INGRESS_TIMEOUT: duration('5s', 100),
    // Unset: 20s outside development, 0s in development (nothing routes traffic to it); see shutdownDrainMs.
    SHUTDOWN_DRAIN: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .optional()
        .transform((text, ctx) => {
          if (text === undefined) return undefined;
          try {
            const ms = parseDuration(text);
            if (ms <= 10 * 60_000) return ms;
            ctx.addIssue({ code: 'custom', message: 'must be at most 10m' });
          } catch {
            ctx.addIssue({ code: 'custom', message: DURATION_HELP });
          }
          return z.NEVER;
        })
    ),
    // Reconciliation and the rate limit toward Mono (docs/architecture.md, "Reconciliation").
    RECONCILE_EVERY: duration('6h', 60_000),
    RECONCILE_STUCK_AFTER: duration('6h', 1_000),
    RECONCILE_SILENT_AFTER: duration('36h', 1_000),
    RECONCILE_CONCURRENCY: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(200).default(20)),
    // Bank-wide incidents (src/incidents, docs/incidents.md).
    INCIDENT_CHECK_EVERY: duration('1m', 1_000),
    INCIDENT_WINDOW: duration('30m', 1_000),
    INCIDENT_THRESHOLD: share(0.5),
    INCIDENT_MIN_ACCOUNTS: z.preprocess(emptyAsUnset, z.coerce.number().int().min(1).max(1_000_000).default(20)),
    INCIDENT_CLOSE_BELOW: share(0.1),
    INCIDENT_CLOSE_AFTER: duration('15m', 0),
    INCIDENT_SYNC_BACKOFF: durationList([10 * 60_000, 30 * 60_000, 60 * 60_000, 2 * 3600_000], 1_000),
    INCIDENT_RELEASE_SPREAD: duration('1h', 0).refine((ms) => ms <= 86_400_000, 'must be at most 1d'),
    INCIDENT_MAX_OPEN: duration('3d', 60_000),
    // The build sweep: idle accounts on an earlier worker build are woken to move to the current one.
    UPGRADE_SWEEP_EVERY: duration('10m', 60_000),
    UPGRADE_SWEEP_RPS: z.preprocess(
      emptyAsUnset,
      z.coerce
        .number({ error: 'must be a number of accounts per second, e.g. 20' })
        .positive('must be more than 0 accounts per second')
        .max(1000, 'must be at most 1000 accounts per second')
        .default(20)
    ),
    MONO_MAX_RPS: z.preprocess(
      emptyAsUnset,
      z.coerce
        .number({ error: 'must be a number of requests per second, e.g. 10 or 0.5' })
        .positive('must be more than 0 requests per second')
        .max(1000, 'must be at most 1000 requests per second')
        .default(10)
    ),
    WEBHOOK_DEDUPE_WINDOW: duration(LIFECYCLE_DEFAULTS.dedupeWindowMs, 1_000),
    DELIVERY_KEY_SECRET: optionalString,
    HISTORY_EVENTS_PER_RUN: z.preprocess(
      emptyAsUnset,
      z.coerce.number().int().min(50).max(40_000).default(LIFECYCLE_DEFAULTS.historyEventsPerRun)
    ),
    SYNC_RETRY_BACKOFF: durationList(LIFECYCLE_DEFAULTS.syncRetryBackoffMs, MIN_SYNC_INTERVAL_MS),
    REAUTH_REMINDERS: durationList(LIFECYCLE_DEFAULTS.reauthRemindersMs),
    REAUTH_ESCALATE_AFTER: duration(LIFECYCLE_DEFAULTS.reauthEscalateAfterMs),
    REAUTH_SYNC_GRACE: duration(LIFECYCLE_DEFAULTS.reauthSyncGraceMs),
    NOTIFY_RETRY_FOR: duration(LIFECYCLE_DEFAULTS.notifyRetryForMs, 60_000),
    REDELIVER_SPREAD: duration('5m', 0).refine((ms) => ms <= 86_400_000, 'must be at most 1d'),
    REAUTH_REMINDER_MIN_GAP: duration(LIFECYCLE_DEFAULTS.reminderMinGapMs),
    REAUTH_LINK_TTL: duration('7d', 60_000),
    REAUTH_LINK_SECRET: optionalString,
    OPERATOR_WEBHOOK_URL: z.preprocess(emptyAsUnset, z.url().optional()),
    NOTIFY_CHANNELS: commaList(['log', 'webhook', 'email', 'sms', 'whatsapp'] as const, 'log'),
    // The owner's phone channels: Africa's Talking, the WhatsApp Cloud API, the phone lookup key (activities/notify/phone-config.ts).
    ...PHONE_ENV,
    NOTIFY_WEBHOOK_URL: z.preprocess(emptyAsUnset, z.url().optional()),
    NOTIFY_WEBHOOK_SECRET: z.preprocess(emptyAsUnset, standardWebhooksSecrets.optional()),
    OPERATOR_WEBHOOK_SECRET: z.preprocess(emptyAsUnset, standardWebhooksSecrets.optional()),
    SMTP_URL: z.preprocess(emptyAsUnset, z.url().optional()),
    SMTP_REQUIRE_TLS: z.preprocess(emptyAsUnset, z.enum(['true', 'false']).optional()),
    OUTBOUND_ALLOW_PRIVATE: optionalString,
    NOTIFY_FROM: optionalString,
    APP_NAME: z.preprocess(emptyAsUnset, z.string().trim().min(1).max(60).optional()),
    APP_LOGO_URL: z.preprocess(
      emptyAsUnset,
      z
        .url({ protocol: /^https$/, error: 'must be an https URL of an image' })
        .max(2048)
        .optional()
    ),
    TEMPLATES_DIR: optionalString,
    NOTIFY_TIME_ZONE: z.preprocess(emptyAsUnset, z.string().default(LIFECYCLE_DEFAULTS.defaultTimeZone)),
    TRUST_PROXY: z.preprocess(
      emptyAsUnset,
      z
        .string()
        .optional()
        .transform((text, ctx) => {
          try {
            return parseTrustProxy(text);
          } catch (err) {
            ctx.addIssue({ code: 'custom', message: (err as Error).message });
            return z.NEVER;
          }
        })
    ),
    NOTIFY_QUIET_HOURS: z.preprocess(
      emptyAsUnset,
      z.string().regex(QUIET_HOURS_PATTERN, 'write it as HH:MM-HH:MM, e.g. 21:00-08:00').optional()
    ),
  })
  .superRefine((env, ctx) => {
    if (env.MONO_WEBHOOK_SECRET !== undefined && !env.MONO_WEBHOOK_SECRET.split(',').some((x) => x.trim() !== '')) {
      ctx.addIssue({ code: 'custom', path: ['MONO_WEBHOOK_SECRET'], message: 'needs at least one non-empty secret' });
    }
    if (env.INCIDENT_CLOSE_BELOW >= env.INCIDENT_THRESHOLD) {
      ctx.addIssue({
        code: 'custom',
        path: ['INCIDENT_CLOSE_BELOW'],
        message: 'must be below INCIDENT_THRESHOLD (an incident closes at a lower share than it opens at)',
      });
    }
    if (env.CODEC_OIDC_ISSUER && !env.CODEC_OIDC_AUDIENCE) {
      ctx.addIssue({
        code: 'custom',
        path: ['CODEC_OIDC_AUDIENCE'],
        message: "is required with CODEC_OIDC_ISSUER: the audience of the Web UI's tokens (its client id or API)",
      });
    }
    // In development NOTIFY_WEBHOOK_SECRET may sign operator notices too; outside, servingSettingProblems refuses it.
    if (env.OPERATOR_WEBHOOK_URL && !env.OPERATOR_WEBHOOK_SECRET && !env.NOTIFY_WEBHOOK_SECRET) {
      ctx.addIssue({
        code: 'custom',
        path: ['OPERATOR_WEBHOOK_SECRET'],
        message: 'is required when OPERATOR_WEBHOOK_URL is set (operator notices are signed with it)',
      });
    }
    if (env.NOTIFY_CHANNELS.includes('webhook')) {
      if (!env.NOTIFY_WEBHOOK_URL)
        ctx.addIssue({
          code: 'custom',
          path: ['NOTIFY_WEBHOOK_URL'],
          message: 'is required when NOTIFY_CHANNELS has webhook',
        });
      if (!env.NOTIFY_WEBHOOK_SECRET)
        ctx.addIssue({
          code: 'custom',
          path: ['NOTIFY_WEBHOOK_SECRET'],
          message: 'is required when NOTIFY_CHANNELS has webhook',
        });
    }
    if (env.NOTIFY_CHANNELS.includes('email')) {
      if (!env.SMTP_URL)
        ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'is required when NOTIFY_CHANNELS has email' });
      if (!env.NOTIFY_FROM)
        ctx.addIssue({ code: 'custom', path: ['NOTIFY_FROM'], message: 'is required when NOTIFY_CHANNELS has email' });
    }
    if (!isValidTimeZone(env.NOTIFY_TIME_ZONE)) {
      ctx.addIssue({
        code: 'custom',
        path: ['NOTIFY_TIME_ZONE'],
        message: 'is not an IANA time zone, e.g. Africa/Lagos',
      });
    }
  });

export type Env = z.output<typeof EnvSchema>;

/** Thrown when the environment is invalid; `message` lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Typed, frozen configuration used by every part of the service; its type is derived from this function. */
export type Config = ReturnType<typeof loadConfig>;

export interface LoadOptions {
  /**
   * The operator CLI: it serves nothing, so outside development it needs real codec keys but none of the
   * service's secrets (webhook secret, admin token, Mono keys, ...).
   */
  operatorTool?: boolean;
}

/** Parses the environment into a Config, or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined> = process.env, options: LoadOptions = {}) {
  const e = parseEnv(env);
  const target = temporalTarget(env, e);
  const host = e.HOST ?? (e.NODE_ENV === 'production' ? '0.0.0.0' : '127.0.0.1');
  const secrets = secretsOrDevelopmentDefaults(e);
  const { exposure, warnings } = developmentMode(e, { host, target, secrets, operatorTool: options.operatorTool });
  const temporal = temporalSettings(target, e, secrets.codecKeys, exposure);
  const publicHost = host === '0.0.0.0' || host === '::' || isLoopbackHost(host) ? 'localhost' : host;
  const outbound = outboundPolicy(e, exposure);
  const { webhookSecrets, tokens } = secrets;
  return Object.freeze({
    port: e.PORT,
    host,
    /** Where the admin API, /metrics and the codec endpoints listen (`host:port`); null: on the main listener. */
    adminAddress: operatorAddress(e, exposure),
    /** Why the service is not in development mode, each naming its variable; empty in development. */
    exposure,
    /** Development mode: development defaults allowed, requests only from this machine (lib/exposure.ts). */
    development: exposure.length === 0,
    /** Settings that are allowed but worth a line in the log at start-up. */
    warnings: [...warnings, ...(e.TRUST_PROXY !== false && exposure.length === 0 ? [TRUST_PROXY_IN_DEVELOPMENT] : [])],
    logLevel: e.LOG_LEVEL,
    webhookSecrets,
    /** Key of the HMAC that identifies deliveries (dedupe); by default derived from the webhook secrets. */
    deliveryKeySecret: e.DELIVERY_KEY_SECRET ?? `mono-reauth-delivery:${[...webhookSecrets].sort().join(',')}`,
    /** Unset means: run against the bundled Mono sandbox simulator. */
    monoSecretKey: e.MONO_SECRET_KEY,
    monoApiUrl: e.MONO_API_URL,
    monoRequestTimeoutMs: e.MONO_REQUEST_TIMEOUT,
    /** Public key for the Connect widget on the re-auth page. */
    monoPublicKey: secrets.monoPublicKey,
    monoSimPort: e.MONO_SIM_PORT,
    /** Rules for calls to Mono, webhooks and SMTP (lib/outbound.ts). */
    outbound,
    /** Bearer tokens by role (server/access.ts); the operator's include ADMIN_TOKEN. */
    tokens,
    /** An operator token to present (ADMIN_TOKEN, else the first of OPERATOR_TOKENS): the bench's, the tests'. */
    adminToken: tokens.operator[0]!,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://${publicHost}:${e.PORT}`).replace(/\/+$/, ''),
    /** The owners' messages and re-auth page: the customer's templates, app name and logo (src/messages). */
    ownerMessages: { templatesDir: e.TEMPLATES_DIR, appName: e.APP_NAME, logoUrl: e.APP_LOGO_URL },
    temporal,
    ingressTimeoutMs: e.INGRESS_TIMEOUT,
    ...edgeSettings(e, exposure),
    /** The reconcile Schedule and its runs (src/reconcile). */
    reconcile: {
      everyMs: e.RECONCILE_EVERY,
      stuckAfterMs: e.RECONCILE_STUCK_AFTER,
      silentAfterMs: e.RECONCILE_SILENT_AFTER,
      concurrency: e.RECONCILE_CONCURRENCY,
    },
    /** Bank-wide incidents: when one opens and closes, the held accounts' shared syncs, the release spread. */
    incidents: incidentSettings(e),
    /** How often idle accounts on earlier worker builds are woken to move to the current one, and how fast. */
    buildSweep: { everyMs: e.UPGRADE_SWEEP_EVERY, wakePerSecond: e.UPGRADE_SWEEP_RPS },
    /** A redeliver job spreads the requeued first attempts over this window (the request may give another). */
    redeliverSpreadMs: e.REDELIVER_SPREAD,
    /** Requests per second toward Mono, for every kind of call and every worker together (the Mono task queue). */
    monoMaxRps: e.MONO_MAX_RPS,
    /** What this process runs: the HTTP server (ingress, admin API, re-auth page), the worker, or both. */
    role: e.SERVICE_ROLE,
    worker: workerSettings(e),
    /** Where the worker's Temporal SDK metrics are served (Prometheus), or null when off. */
    workerMetricsAddress: e.WORKER_METRICS_ADDRESS === 'off' ? null : e.WORKER_METRICS_ADDRESS,
    /** The lifecycle settings every account's workflow receives, with every event. */
    lifecycle: lifecycleSettings(e),
    reauthLink: {
      secrets: secrets.linkSecrets,
      // The key links were signed with before key ids, when REAUTH_LINK_SECRET was unset; kept until they expire.
      legacySecrets: [`mono-reauth-link:${secrets.legacyAdminToken}:${[...webhookSecrets].sort().join(',')}`],
      ttlMs: e.REAUTH_LINK_TTL,
    },
    notify: notifySettings(e, outbound, exposure, !isSet(env.NOTIFY_CHANNELS)),
    /** The phone channels' providers, callbacks and lookup key (activities/notify/phone-config.ts). */
    phone: phoneSettings(e, exposure.length === 0, exposure.length === 0 && !e.MONO_SECRET_KEY),
    /** Variables that fell back to a development default; start-up warns about each. */
    devDefaults: secrets.devDefaults,
  });
}

function incidentSettings(e: Env): IncidentSettings {
  return {
    checkEveryMs: e.INCIDENT_CHECK_EVERY,
    windowMs: e.INCIDENT_WINDOW,
    openShare: e.INCIDENT_THRESHOLD,
    minAccounts: e.INCIDENT_MIN_ACCOUNTS,
    closeShare: e.INCIDENT_CLOSE_BELOW,
    closeAfterMs: e.INCIDENT_CLOSE_AFTER,
    syncBackoffMs: e.INCIDENT_SYNC_BACKOFF,
    releaseSpreadMs: e.INCIDENT_RELEASE_SPREAD,
    maxOpenMs: e.INCIDENT_MAX_OPEN,
  };
}

/** The HTTP edge: who may name the client, how a shutdown drains, whose sign-in the codec accepts. */
function edgeSettings(e: Env, exposure: string[]) {
  return {
    /** TRUST_PROXY: the proxies that may name the client (server/trust-proxy.ts); false: the socket address is it. */
    trustProxy: e.TRUST_PROXY,
    /**
     * SHUTDOWN_DRAIN: after SIGTERM, how long readiness answers 503 while requests, kept-alive connections
     * included, are still served (each answer with Connection: close) before the listeners close.
     */
    shutdownDrainMs: e.SHUTDOWN_DRAIN ?? (exposure.length > 0 ? DEFAULT_SHUTDOWN_DRAIN_MS : 0),
    /** The Web UI's OIDC issuer, whose users' tokens the codec accepts for decode; null: codec tokens only. */
    codecOidc:
      e.CODEC_OIDC_ISSUER && e.CODEC_OIDC_AUDIENCE
        ? { issuer: e.CODEC_OIDC_ISSUER, audience: e.CODEC_OIDC_AUDIENCE, jwksUrl: e.CODEC_OIDC_JWKS_URL }
        : null,
  };
}

/**
 * Decides development mode (lib/exposure.ts) and throws ConfigError for every setting refused in the mode this is;
 * returns why this is not development (empty: it is) and the warnings for the log.
 */
function developmentMode(
  e: Env,
  s: { host: string; target: TemporalTarget; secrets: Secrets; operatorTool: boolean | undefined }
): { exposure: string[]; warnings: string[] } {
  const { target } = s;
  const exposure = exposureReasons({
    nodeEnv: e.NODE_ENV,
    host: s.host,
    adminHost: e.ADMIN_ADDRESS ? e.ADMIN_ADDRESS.slice(0, e.ADMIN_ADDRESS.lastIndexOf(':')) : null,
    publicBaseUrl: e.PUBLIC_BASE_URL,
    monoSecretKey: e.MONO_SECRET_KEY,
    temporalAddress: target.address,
    temporalApiKey: target.profile.apiKey !== undefined,
    temporalTls: target.tls,
  });
  const plaintext = temporalPlaintextCheck({
    temporalAddress: target.address,
    tls: target.tls,
    tlsOffOnPurpose: target.tlsOffOnPurpose,
  });
  const problems = [
    ...(exposure.length > 0 ? problemsOutsideDevelopment(e, s.secrets, exposure, s.operatorTool === true) : []),
    ...weakCodecKeyProblems(s.secrets.codecKeys),
    ...sharedTokenProblems(s.secrets.tokens),
    ...(plaintext.problem ? [plaintext.problem] : []),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  const warnings = [nodeEnvWarning(e.NODE_ENV), plaintext.warning].filter((w): w is string => w !== undefined);
  return { exposure, warnings };
}

/** Validates the environment against the schema, or throws ConfigError naming every bad variable. */
function parseEnv(env: Record<string, string | undefined>): Env {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'environment'}: ${issue.message}`)
    );
  }
  return parsed.data;
}

const listOf = (text: string | undefined): string[] =>
  (text ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x.length > 0);

/** What to set instead of each development default; the error that refuses a default says it. */
const DEVELOPMENT_DEFAULT_FIXES: Readonly<Record<string, string>> = {
  MONO_WEBHOOK_SECRET: 'set the secret Mono shows for your webhook URL (Mono dashboard → Apps → Webhooks)',
  ADMIN_TOKEN:
    'set OPERATOR_TOKENS (or ADMIN_TOKEN) to a random token of at least 32 characters (openssl rand -base64 32)',
  REAUTH_LINK_SECRET:
    'set a random key of at least 32 characters (openssl rand -base64 32); list older keys after it to rotate',
  MONO_SECRET_KEY:
    'set your Mono secret key (live_sk_… or test_sk_…); without it the service talks to its built-in simulator',
  MONO_PUBLIC_KEY: 'set your Mono public key (live_pk_…) for the Connect widget on the re-auth page',
  PUBLIC_BASE_URL: 'set the https:// address at which owners reach this service (links in notices start with it)',
  TEMPORAL_CODEC_KEYS:
    'set the payload encryption keys, id:base64 of 32 random bytes, e.g. k1:$(openssl rand -base64 32); list older keys after the first to rotate (docs/payload-encryption.md)',
};

type Secrets = ReturnType<typeof secretsOrDevelopmentDefaults>;

/** The secrets as configured, or their development defaults; `devDefaults` lists the defaults in use, in order. */
function secretsOrDevelopmentDefaults(e: Env) {
  const devDefaults: string[] = [];
  const orDefault = <T>(value: T | undefined, variable: string, fallback: T): T => {
    if (value !== undefined) return value;
    devDefaults.push(variable);
    return fallback;
  };
  const webhookSecrets = orDefault(
    e.MONO_WEBHOOK_SECRET ? listOf(e.MONO_WEBHOOK_SECRET) : undefined,
    'MONO_WEBHOOK_SECRET',
    [DEV_WEBHOOK_SECRET]
  );
  const configuredOperatorTokens = [...(e.ADMIN_TOKEN ? [e.ADMIN_TOKEN] : []), ...listOf(e.OPERATOR_TOKENS)];
  // Only for the key of links signed before key ids (reauthLink.legacySecrets), which derived from ADMIN_TOKEN.
  const legacyAdminToken = e.ADMIN_TOKEN ?? DEV_ADMIN_TOKEN;
  const tokens: AccessTokens = {
    operator: orDefault(configuredOperatorTokens.length > 0 ? configuredOperatorTokens : undefined, 'ADMIN_TOKEN', [
      DEV_ADMIN_TOKEN,
    ]),
    integration: listOf(e.INTEGRATION_TOKENS),
    codec: listOf(e.CODEC_TOKENS),
  };
  const linkSecrets = orDefault(e.REAUTH_LINK_SECRET ? listOf(e.REAUTH_LINK_SECRET) : undefined, 'REAUTH_LINK_SECRET', [
    DEV_LINK_SECRET,
  ]);
  // Only the worker calls Mono: an ingress needs no key (and never runs the simulator).
  if (!e.MONO_SECRET_KEY && e.SERVICE_ROLE !== 'ingress') devDefaults.push('MONO_SECRET_KEY');
  const monoPublicKey = orDefault(e.MONO_PUBLIC_KEY, 'MONO_PUBLIC_KEY', DEV_MONO_PUBLIC_KEY);
  if (!e.PUBLIC_BASE_URL || !e.PUBLIC_BASE_URL.startsWith('https://')) devDefaults.push('PUBLIC_BASE_URL');
  const codecKeys = orDefault<CodecKey[] | null>(
    e.TEMPORAL_CODEC_KEYS ? configuredCodecKeys(e.TEMPORAL_CODEC_KEYS) : undefined,
    'TEMPORAL_CODEC_KEYS',
    null
  );
  return { webhookSecrets, legacyAdminToken, tokens, linkSecrets, monoPublicKey, codecKeys, devDefaults };
}

function configuredCodecKeys(text: string): CodecKey[] {
  try {
    return parseCodecKeys(text);
  } catch (err) {
    if (err instanceof CodecKeyError) throw new ConfigError([err.message]);
    throw err;
  }
}

/**
 * Outside development: every development default in use, every weak secret, every plain-http URL, mail without
 * TLS and a published codec key, each with what to set instead. `exposure` says why this is not development.
 * For the operator CLI, which serves nothing, only what it uses counts: the codec keys.
 */
function problemsOutsideDevelopment(e: Env, secrets: Secrets, exposure: string[], operatorTool: boolean): string[] {
  const because = `this is not development mode: the service counts as reachable from other machines (${exposure.join('; ')})`;
  const refused = (variable: string): string =>
    `${variable}: the development default is refused because ${because}; ${DEVELOPMENT_DEFAULT_FIXES[variable]}`;
  const published = (secrets.codecKeys ?? []).flatMap(({ id, key }, i) =>
    isPublishedCodecKey(key)
      ? [
          `TEMPORAL_CODEC_KEYS entry ${i + 1} ("${id}"): is a test key published in this repository, refused outside development; make one with openssl rand -base64 32`,
        ]
      : []
  );
  if (operatorTool) {
    return [...secrets.devDefaults.filter((v) => v === 'TEMPORAL_CODEC_KEYS').map(refused), ...published];
  }
  return [...secrets.devDefaults.map(refused), ...servingSettingProblems(e, secrets), ...published];
}

/** Weak secrets, plain-http URLs and mail without TLS: refused where others can reach the service. */
function servingSettingProblems(e: Env, secrets: Secrets): string[] {
  const problems: string[] = [];
  const weak = (variable: string, values: readonly string[], minLength: number): void => {
    for (const value of values) {
      const problem = secretProblem(value, minLength);
      if (problem) problems.push(`${variable}: ${problem}`);
    }
  };
  if (e.MONO_WEBHOOK_SECRET) weak('MONO_WEBHOOK_SECRET', secrets.webhookSecrets, MIN_MONO_WEBHOOK_SECRET_LENGTH);
  if (e.ADMIN_TOKEN) weak('ADMIN_TOKEN', [e.ADMIN_TOKEN], MIN_SECRET_LENGTH);
  weak('OPERATOR_TOKENS', listOf(e.OPERATOR_TOKENS), MIN_SECRET_LENGTH);
  weak('INTEGRATION_TOKENS', secrets.tokens.integration, MIN_SECRET_LENGTH);
  weak('CODEC_TOKENS', secrets.tokens.codec, MIN_SECRET_LENGTH);
  if (e.REAUTH_LINK_SECRET) weak('REAUTH_LINK_SECRET', secrets.linkSecrets, MIN_SECRET_LENGTH);
  if (e.DELIVERY_KEY_SECRET) weak('DELIVERY_KEY_SECRET', [e.DELIVERY_KEY_SECRET], MIN_SECRET_LENGTH);
  for (const [variable, url] of [
    ['MONO_API_URL', e.MONO_API_URL],
    ['CODEC_OIDC_ISSUER', e.CODEC_OIDC_ISSUER],
    ['CODEC_OIDC_JWKS_URL', e.CODEC_OIDC_JWKS_URL],
    ['NOTIFY_WEBHOOK_URL', e.NOTIFY_WEBHOOK_URL],
    ['OPERATOR_WEBHOOK_URL', e.OPERATOR_WEBHOOK_URL],
  ] as const) {
    if (url && !url.startsWith('https://')) problems.push(`${variable}: must be an https:// URL outside development`);
  }
  problems.push(...phoneChannelProblems(e, e.NOTIFY_CHANNELS));
  if (e.NOTIFY_CHANNELS.includes('whatsapp') && !e.APP_NAME)
    problems.push('APP_NAME: is required when NOTIFY_CHANNELS has whatsapp (WhatsApp templates name the business)');
  if (e.SMTP_REQUIRE_TLS === 'false') {
    problems.push('SMTP_REQUIRE_TLS: false is refused outside development (mail would travel unencrypted); unset it');
  }
  if (e.OPERATOR_WEBHOOK_URL && !e.OPERATOR_WEBHOOK_SECRET) {
    problems.push(
      "OPERATOR_WEBHOOK_SECRET: is required when OPERATOR_WEBHOOK_URL is set outside development (operator notices are never signed with the customer's NOTIFY_WEBHOOK_SECRET); make one with whsec_$(openssl rand -base64 32)"
    );
  }
  return problems;
}

/** A token given to two roles would grant the larger one to whoever holds it for the smaller: refused in every mode. */
function sharedTokenProblems(tokens: AccessTokens): string[] {
  const variables: Record<Role, string> = {
    operator: 'OPERATOR_TOKENS/ADMIN_TOKEN',
    integration: 'INTEGRATION_TOKENS',
    codec: 'CODEC_TOKENS',
  };
  const problems: string[] = [];
  const roles = Object.keys(variables) as Role[];
  for (const [i, role] of roles.entries()) {
    for (const other of roles.slice(i + 1)) {
      if (tokens[role].some((token) => tokens[other].includes(token))) {
        problems.push(`${variables[other]}: shares a token with ${variables[role]}; give each role its own tokens`);
      }
    }
  }
  return problems;
}

/** Codec keys that cannot be random bytes, in development too (there a random key is made when none is set). */
function weakCodecKeyProblems(keys: CodecKey[] | null): string[] {
  return (keys ?? []).flatMap(({ id, key }, i) => {
    const problem = weakCodecKeyProblem(key);
    return problem ? [`TEMPORAL_CODEC_KEYS entry ${i + 1} ("${id}"): ${problem}`] : [];
  });
}

/** How to reach Temporal: TEMPORAL_* variables and the profile file, as the `temporal` CLI reads them. */
function temporalTarget(env: Record<string, string | undefined>, e: Env): TemporalTarget {
  try {
    return loadTemporalTarget(env, { address: e.TEMPORAL_ADDRESS, namespace: e.TEMPORAL_NAMESPACE });
  } catch (err) {
    if (err instanceof TemporalConnectionError) throw new ConfigError([err.message]);
    throw err;
  }
}

/** The Worker Deployment Version the worker runs as. */
export interface DeploymentSettings {
  /** TEMPORAL_DEPLOYMENT_NAME (default `mono-reauth`). */
  name: string;
  /** TEMPORAL_WORKER_BUILD_ID; unset, the worker chooses one. */
  buildId: string | undefined;
  /**
   * TEMPORAL_WORKER_PROMOTE, when the worker makes its version the deployment's current one: `always`, `first`
   * (only while the deployment has none) or `never` (an operator does). Default: `always` in development, else `first`.
   */
  promote: 'always' | 'first' | 'never';
}

function deploymentSettings(e: Env, exposure: string[]): DeploymentSettings {
  return {
    name: e.TEMPORAL_DEPLOYMENT_NAME,
    buildId: e.TEMPORAL_WORKER_BUILD_ID,
    promote: e.TEMPORAL_WORKER_PROMOTE ?? (exposure.length === 0 ? 'always' : 'first'),
  };
}

/** Where Temporal is and how to reach it, the payload codec keys and the dev server's UI. */
function temporalSettings(target: TemporalTarget, e: Env, codecKeys: CodecKey[] | null, exposure: string[]) {
  const temporalPort = Number(target.address.split(':').pop());
  const uiPort = e.TEMPORAL_UI_PORT ?? Math.min(temporalPort + 1000, 65535);
  return {
    address: target.address,
    namespace: target.namespace,
    /** How to connect (TLS, API key, profile), from @temporalio/envconfig. */
    target,
    /**
     * Payload encryption keys (first encrypts, all decrypt); null in development, where a key is made on first
     * start and kept under TEMPORAL_DATA_DIR (see codecKeysFor).
     */
    codecKeys,
    /** Browser origins of Temporal Web UIs allowed to call the codec endpoints (CORS). */
    uiOrigins: e.TEMPORAL_UI_ORIGINS
      ? listOf(e.TEMPORAL_UI_ORIGINS)
      : exposure.length > 0
        ? []
        : [`http://localhost:${uiPort}`, `http://127.0.0.1:${uiPort}`],
    taskQueue: e.TEMPORAL_TASK_QUEUE,
    deployment: deploymentSettings(e, exposure),
    uiPort,
    dataDir: e.TEMPORAL_DATA_DIR,
  };
}

/** The operator listener: ADMIN_ADDRESS, or outside development a loopback listener of its own (PORT+1). */
function operatorAddress(e: Env, exposure: string[]): { host: string; port: number } | null {
  const address =
    e.ADMIN_ADDRESS ?? (exposure.length > 0 ? `127.0.0.1:${e.PORT === 0 ? 0 : Math.min(e.PORT + 1, 65535)}` : null);
  return address ? { host: address.slice(0, address.lastIndexOf(':')), port: Number(address.split(':').pop()) } : null;
}

/** Outside development: https only, no private or loopback targets except the hosts explicitly allowed. */
function outboundPolicy(e: Env, exposure: string[]): OutboundPolicy {
  return exposure.length > 0
    ? { requireHttps: true, allowPrivate: listOf(e.OUTBOUND_ALLOW_PRIVATE).map((h) => h.toLowerCase()) }
    : DEVELOPMENT_OUTBOUND;
}

/**
 * The notifier's settings. `channelsUnset`: NOTIFY_CHANNELS was not given; then, in development with the Mono
 * simulator, owners who registered a phone number also get SMS and WhatsApp, through the simulator's fake providers
 * (so `npm start` and `npm run demo` show them with no configuration).
 */
function notifySettings(e: Env, outbound: OutboundPolicy, exposure: string[], channelsUnset: boolean): NotifierConfig {
  const simulator = exposure.length === 0 && !e.MONO_SECRET_KEY;
  const phone = phoneSettings(e, exposure.length === 0, simulator);
  const simulatedPhoneChannels = simulator && channelsUnset;
  return {
    ...((e.NOTIFY_CHANNELS.includes('sms') || simulatedPhoneChannels) && { sms: phone.sms }),
    ...((e.NOTIFY_CHANNELS.includes('whatsapp') || simulatedPhoneChannels) && { whatsapp: phone.whatsapp }),
    ...(simulatedPhoneChannels && { simulatedPhoneChannels }),
    outbound,
    smtpRequireTls: e.SMTP_REQUIRE_TLS ? e.SMTP_REQUIRE_TLS === 'true' : exposure.length > 0,
    logLinks: exposure.length === 0,
    channels: e.NOTIFY_CHANNELS,
    webhookUrl: e.NOTIFY_WEBHOOK_URL,
    webhookSecret: e.NOTIFY_WEBHOOK_SECRET,
    smtpUrl: e.SMTP_URL,
    from: e.NOTIFY_FROM,
    operatorWebhookUrl: e.OPERATOR_WEBHOOK_URL,
    operatorWebhookSecret:
      e.OPERATOR_WEBHOOK_SECRET ??
      (e.OPERATOR_WEBHOOK_URL && exposure.length === 0 ? e.NOTIFY_WEBHOOK_SECRET : undefined),
  };
}

function lifecycleSettings(e: Env): LifecycleSettings {
  return {
    dedupeWindowMs: e.WEBHOOK_DEDUPE_WINDOW,
    historyEventsPerRun: e.HISTORY_EVENTS_PER_RUN,
    syncRetryBackoffMs: e.SYNC_RETRY_BACKOFF,
    reauthRemindersMs: e.REAUTH_REMINDERS,
    reauthEscalateAfterMs: e.REAUTH_ESCALATE_AFTER,
    reauthSyncGraceMs: e.REAUTH_SYNC_GRACE,
    notifyRetryForMs: e.NOTIFY_RETRY_FOR,
    reminderMinGapMs: e.REAUTH_REMINDER_MIN_GAP,
    quietHours: e.NOTIFY_QUIET_HOURS ?? null,
    defaultTimeZone: e.NOTIFY_TIME_ZONE,
  };
}

/**
 * Worker tuning. The workflow cache bounds the worker's memory whatever the number of accounts (an evicted account
 * is replayed from its short history on its next event); unset limits keep the SDK's defaults.
 */
function workerSettings(e: Env) {
  return {
    maxCachedWorkflows: e.WORKER_MAX_CACHED_WORKFLOWS,
    maxConcurrentWorkflowTaskExecutions: e.WORKER_MAX_CONCURRENT_WORKFLOW_TASKS,
    maxConcurrentActivityTaskExecutions: e.WORKER_MAX_CONCURRENT_ACTIVITIES,
    /** A workflow bundle built ahead (the image builds one); unset, it is built at start. */
    bundlePath: e.WORKFLOW_BUNDLE_PATH,
  };
}

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/** The variables that hold secrets; each may instead be read from the file that `NAME_FILE` names. */
export const SECRET_VARIABLES = [
  'MONO_WEBHOOK_SECRET',
  'MONO_SECRET_KEY',
  'ADMIN_TOKEN',
  'OPERATOR_TOKENS',
  'INTEGRATION_TOKENS',
  'CODEC_TOKENS',
  'REAUTH_LINK_SECRET',
  'DELIVERY_KEY_SECRET',
  'TEMPORAL_CODEC_KEYS',
  'NOTIFY_WEBHOOK_SECRET',
  'OPERATOR_WEBHOOK_SECRET',
  'SMTP_URL',
  'TEMPORAL_API_KEY',
  'TEMPORAL_TLS_CLIENT_KEY_DATA',
  ...PHONE_SECRET_VARIABLES,
] as const;

/**
 * The environment with each secret given as `NAME_FILE` (Docker and Kubernetes secrets) read into `NAME`, one
 * trailing newline dropped. Throws ConfigError naming every variable set both ways, and every file that cannot be
 * read or is empty (never its content). main.ts and the CLI call it before loadConfig, which reads no file of these.
 */
export function withSecretFiles(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8')
): Record<string, string | undefined> {
  const result = { ...env };
  const problems: string[] = [];
  for (const name of SECRET_VARIABLES) {
    const path = env[`${name}_FILE`];
    if (!isSet(path)) continue;
    if (isSet(env[name])) {
      problems.push(`${name} and ${name}_FILE are both set: keep one`);
      continue;
    }
    let value: string;
    try {
      value = readFile(path).replace(/\r?\n$/, '');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
      problems.push(`${name}_FILE: cannot read ${path} (${code}); point it at a file this process can read`);
      continue;
    }
    if (value.trim() === '') problems.push(`${name}_FILE: ${path} is empty`);
    else result[name] = value;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return result;
}

/** The payload codec keys: configured, or in development the key kept under the data directory (made once). */
export function codecKeysFor(temporal: Pick<Config['temporal'], 'codecKeys' | 'dataDir'>): CodecKey[] {
  return temporal.codecKeys ?? loadOrCreateDevCodecKey(temporal.dataDir).keys;
}
