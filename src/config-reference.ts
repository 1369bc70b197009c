/**
 * What each environment variable means, for people: its group, its default and its meaning. The schema in
 * config.ts says what is valid; this says what it is for. `npx tsx scripts/config-docs.ts` writes
 * docs/configuration.md from both, and test/unit/config-docs.test.ts fails when a variable of the schema has no
 * entry here or when the committed page differs from what the script writes. Plain data: nothing here is read at
 * run time.
 */

export const CONFIG_GROUPS = [
  {
    id: 'http',
    title: 'HTTP, network and logs',
    intro: 'The two listeners, the admin token, the addresses links point at, outbound calls and the log.',
  },
  {
    id: 'mono',
    title: 'Mono',
    intro:
      "Mono's webhooks, its API and the rate limit toward it. Without `MONO_SECRET_KEY` the service talks to its bundled sandbox simulator (see Development).",
  },
  {
    id: 'temporal',
    title: 'Temporal',
    intro:
      'Where Temporal is and how to reach it. The connection variables are the ones the `temporal` CLI reads (through `@temporalio/envconfig`), so a profile file works too.',
  },
  {
    id: 'workers',
    title: 'Workers and builds',
    intro:
      'What a process runs, how much its worker takes on, and the worker build it runs as ([Releasing](releasing.md)).',
  },
  {
    id: 'lifecycle',
    title: 'Account lifecycle',
    intro:
      "The clocks of every account's workflow. These settings travel with every webhook, so a change reaches running accounts with their next event.",
  },
  {
    id: 'notifications',
    title: 'Notifications',
    intro: 'Messages to account owners and operators, their channels and retries, and the re-auth link.',
  },
  {
    id: 'reconciliation',
    title: 'Reconciliation',
    intro:
      'The schedule that asks Mono about accounts whose webhooks may have been lost ([how it works](architecture.md#reconciliation)).',
  },
  {
    id: 'incidents',
    title: 'Bank-wide incidents',
    intro:
      "When many accounts at one bank fail at once, an incident holds the owners' re-auth notices and the operators' escalations until the bank recovers ([how it works](incidents.md)).",
  },
  {
    id: 'development',
    title: 'Development',
    intro:
      '`npm start` on one machine: the embedded Temporal dev server, the Mono simulator and the Temporal binaries.',
  },
] as const;

export type ConfigGroupId = (typeof CONFIG_GROUPS)[number]['id'];

export interface VariableReference {
  group: ConfigGroupId;
  /**
   * The value the variable has when unset, written as one would set it (`6h`). A unit test checks that setting
   * exactly this gives what leaving it unset gives.
   */
  default?: string;
  /** The default in words, when it depends on something else (development mode, another variable). */
  defaultText?: string;
  /** Markdown; names other variables in backticks. */
  meaning: string;
  /**
   * Where the variable is read when it is not part of the schema in config.ts (for example the Temporal client's
   * own variables, read by `@temporalio/envconfig`).
   */
  readBy?: string;
}

const ENVCONFIG = '@temporalio/envconfig (src/temporal/connection.ts)';
const BINARIES = 'the Temporal binaries resolver (src/temporal/binaries.ts)';
const SIMULATOR = '`npm run mono-sim` (src/mono-sim/main.ts)';

export const CONFIG_REFERENCE: Readonly<Record<string, VariableReference>> = {
  // HTTP, network and logs
  PORT: {
    group: 'http',
    default: '3000',
    meaning: 'Port of the public listener: webhooks, the re-auth page, `/healthz` and `/readyz`.',
  },
  HOST: {
    group: 'http',
    defaultText: '`127.0.0.1`; `0.0.0.0` with `NODE_ENV=production`',
    meaning:
      'Address of the public listener. Anything but a loopback address ends development mode, so development defaults are refused.',
  },
  ADMIN_ADDRESS: {
    group: 'http',
    defaultText: 'on `PORT` in development; `127.0.0.1:<PORT+1>` otherwise',
    meaning:
      'The operator listener (`host:port`): the admin API, `/metrics` and the codec endpoints. Keep it on a private network.',
  },
  OPERATOR_TOKENS: {
    group: 'http',
    meaning:
      'Bearer tokens of the `operator` role, comma-separated (a rotation list: add the new one, move callers, remove the old one): the whole admin API, import, bulk jobs and both codec endpoints. Each random, at least 32 characters outside development (`openssl rand -base64 32`); a token may belong to one role only.',
  },
  ADMIN_TOKEN: {
    group: 'http',
    defaultText: '`dev-admin-token` (development only)',
    meaning: 'One more `operator` token, kept so that earlier set-ups keep working; prefer `OPERATOR_TOKENS`.',
  },
  INTEGRATION_TOKENS: {
    group: 'http',
    meaning:
      "Bearer tokens of the `integration` role, comma-separated: what a customer's app backend needs — register an owner's contact, read an account's status, get a fresh re-auth link. At least 32 characters outside development.",
  },
  CODEC_TOKENS: {
    group: 'http',
    meaning:
      'Bearer tokens of the `codec` role, comma-separated: `/codec/decode` only (the `temporal` CLI with `--codec-auth`, or a Web UI without sign-in). At least 32 characters outside development.',
  },
  CODEC_OIDC_ISSUER: {
    group: 'http',
    meaning:
      'The OpenID Connect issuer (https) of the Temporal Web UI\'s sign-in: the codec then accepts its users\' access tokens for `/codec/decode` ([Deploying](deploying.md), "The Web UI").',
  },
  CODEC_OIDC_AUDIENCE: {
    group: 'http',
    meaning:
      "Required with `CODEC_OIDC_ISSUER`: the audience of the UI's tokens (its client id, or the API they are for).",
  },
  CODEC_OIDC_JWKS_URL: {
    group: 'http',
    defaultText: "the issuer's discovery document",
    meaning: "Where the issuer's signing keys are, when its discovery document does not say.",
  },
  TRUST_PROXY: {
    group: 'http',
    defaultText: 'unset: the socket address is the client',
    meaning:
      'The proxies in front of the service that may name the client (`X-Forwarded-For`): a hop count (`1` behind one load balancer) or addresses and CIDRs, comma-separated. Never everything. Refusal limits count by the client so named (IPv6 by /64) ([Deploying](deploying.md), "Behind a load balancer").',
  },
  SHUTDOWN_DRAIN: {
    group: 'http',
    defaultText: '`20s`; `0s` in development',
    meaning:
      "After SIGTERM: how long readiness answers 503 while requests are still served (each with `Connection: close`) before the listeners close. Keep the orchestrator's grace period at least this plus 15 s.",
  },
  PUBLIC_BASE_URL: {
    group: 'http',
    defaultText: '`http://localhost:<PORT>`',
    meaning:
      'The `https://` address at which account owners reach the service; re-auth links in notices start with it. A real host ends development mode.',
  },
  INGRESS_TIMEOUT: {
    group: 'http',
    default: '5s',
    meaning: 'Longest wait for Temporal to record a webhook before the answer is `503` (Mono then retries).',
  },
  OUTBOUND_ALLOW_PRIVATE: {
    group: 'http',
    meaning:
      'Hosts, comma-separated, that outbound calls (Mono, webhooks, SMTP) may reach on private addresses outside development, for example an internal SMTP relay.',
  },
  LOG_LEVEL: {
    group: 'http',
    default: 'info',
    meaning: 'One of `fatal`, `error`, `warn`, `info`, `debug`, `trace`, `silent`.',
  },

  // Mono
  MONO_WEBHOOK_SECRET: {
    group: 'mono',
    defaultText: '`dev-webhook-secret` (development only)',
    meaning:
      "The secret Mono's dashboard shows when the webhook URL is saved; requests must carry it in the `mono-webhook-secret` header. Comma-separated to rotate (`new,old`).",
  },
  DELIVERY_KEY_SECRET: {
    group: 'mono',
    defaultText: 'derived from `MONO_WEBHOOK_SECRET`',
    meaning:
      'Key of the HMAC that identifies webhook deliveries for dedupe. Set it (random, 32 characters or more) so that rotating the webhook secret does not reset dedupe.',
  },
  MONO_SECRET_KEY: {
    group: 'mono',
    defaultText: 'unset: the bundled simulator',
    meaning:
      "Mono secret key for API calls (`test_sk_…` for Mono's sandbox, `live_sk_…` for live). A live key ends development mode.",
  },
  MONO_PUBLIC_KEY: {
    group: 'mono',
    defaultText: 'a simulator placeholder (development only)',
    meaning: 'Mono public key (`test_pk_…` or `live_pk_…`) for the Connect widget on the re-auth page.',
  },
  MONO_API_URL: {
    group: 'mono',
    default: 'https://api.withmono.com',
    meaning: "Base URL of Mono's API.",
  },
  MONO_REQUEST_TIMEOUT: {
    group: 'mono',
    default: '30s',
    meaning: 'Timeout of each request to Mono.',
  },
  MONO_MAX_RPS: {
    group: 'mono',
    default: '10',
    meaning:
      'Requests per second toward Mono, every kind of call and every worker together ([one rate limit toward Mono](architecture.md#one-rate-limit-toward-mono)).',
  },

  // Temporal
  TEMPORAL_ADDRESS: {
    group: 'temporal',
    default: 'localhost:7233',
    meaning:
      'Temporal frontend, `host:port`. On a loopback address with nothing answering, `npm start` starts the dev server there; another host, or `0.0.0.0`, ends development mode.',
  },
  TEMPORAL_NAMESPACE: {
    group: 'temporal',
    default: 'default',
    meaning:
      "Temporal namespace; it needs the service's ten search attributes ([Deploying](deploying.md#search-attributes)).",
  },
  TEMPORAL_TASK_QUEUE: {
    group: 'temporal',
    default: 'mono-reauth',
    meaning:
      'Task queue of the account workflows. Calls to Mono use `<TEMPORAL_TASK_QUEUE>-mono`, and the schedules are named after it.',
  },
  TEMPORAL_TLS: {
    group: 'temporal',
    defaultText: 'unset: TLS when an API key or TLS file is set',
    meaning:
      '`true` or `false`. Plaintext to a Temporal on another machine is refused unless `TEMPORAL_TLS=false` says it is on purpose (a private network).',
  },
  TEMPORAL_API_KEY: {
    group: 'temporal',
    readBy: ENVCONFIG,
    meaning: 'API key for Temporal Cloud (TLS is implied). Ends development mode.',
  },
  TEMPORAL_TLS_CLIENT_CERT_PATH: {
    group: 'temporal',
    readBy: ENVCONFIG,
    meaning: 'Client certificate for mTLS (`TEMPORAL_TLS_CLIENT_CERT_DATA` for the PEM itself). Ends development mode.',
  },
  TEMPORAL_TLS_CLIENT_KEY_PATH: {
    group: 'temporal',
    readBy: ENVCONFIG,
    meaning: 'Key of the client certificate (`TEMPORAL_TLS_CLIENT_KEY_DATA` for the PEM itself).',
  },
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: {
    group: 'temporal',
    readBy: ENVCONFIG,
    meaning: "CA of the server's certificate, for a private CA (`TEMPORAL_TLS_SERVER_CA_CERT_DATA` for the PEM).",
  },
  TEMPORAL_TLS_SERVER_NAME: {
    group: 'temporal',
    readBy: ENVCONFIG,
    meaning: "Name to expect in the server's certificate, when it is not the host of `TEMPORAL_ADDRESS`.",
  },
  TEMPORAL_PROFILE: {
    group: 'temporal',
    readBy: ENVCONFIG,
    meaning: 'Profile of the Temporal client configuration file to use.',
  },
  TEMPORAL_CONFIG_FILE: {
    group: 'temporal',
    readBy: ENVCONFIG,
    defaultText: '`~/.config/temporalio/temporal.toml`',
    meaning: 'The Temporal client configuration file (profiles), as the `temporal` CLI reads it.',
  },
  TEMPORAL_CODEC_KEYS: {
    group: 'temporal',
    defaultText: 'a key made once under `TEMPORAL_DATA_DIR` (development only)',
    meaning:
      "Payload encryption keys, `id:base64key,…` (32 random bytes each; the first encrypts, all decrypt). The repository's test key is refused outside development ([payload encryption](payload-encryption.md)).",
  },
  TEMPORAL_UI_ORIGINS: {
    group: 'temporal',
    defaultText:
      "the dev server's Web UI (`http://localhost:8233`, `http://127.0.0.1:8233`) in development; none otherwise",
    meaning: 'Browser origins, comma-separated, allowed to call the codec endpoints (a Temporal Web UI).',
  },

  // Workers and builds
  SERVICE_ROLE: {
    group: 'workers',
    default: 'all',
    meaning:
      '`all`: the worker and the HTTP side in one process; `ingress`: the HTTP side only; `worker`: the worker only (it serves `/healthz`, `/readyz` and `/metrics`).',
  },
  WORKER_MAX_CACHED_WORKFLOWS: {
    group: 'workers',
    defaultText: 'what the heap holds, at most 500 (500 in a 256 MiB heap; 117 there with tracing on)',
    meaning:
      "Accounts kept in the worker's memory. Bounds its memory whatever the number of accounts; an evicted account is replayed from its short history on its next event. Each cached account takes about 80 KiB of heap after a collection, 650 KiB when tracing is on (budgeted at 100 and 1,400 KiB for the heap's peaks); the worker warns at start when the heap cannot hold the size set.",
  },
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: {
    group: 'workers',
    defaultText: "the SDK's default",
    meaning: 'Workflow tasks the worker runs at once.',
  },
  WORKER_MAX_CONCURRENT_ACTIVITIES: {
    group: 'workers',
    defaultText: "the SDK's default",
    meaning: 'Activities the worker runs at once.',
  },
  WORKER_METRICS_ADDRESS: {
    group: 'workers',
    default: '127.0.0.1:9464',
    meaning: "Where the worker's Temporal SDK metrics are served (`host:port`); `off` turns them off.",
  },
  WORKFLOW_BUNDLE_PATH: {
    group: 'workers',
    defaultText: 'unset: built at start',
    meaning: 'A workflow bundle built ahead of time; the image builds one and sets it.',
  },
  TEMPORAL_DEPLOYMENT_NAME: {
    group: 'workers',
    default: 'mono-reauth',
    meaning:
      "The worker's Worker Deployment ([Releasing](releasing.md)). Temporal's Worker Controller on Kubernetes sets it.",
  },
  TEMPORAL_WORKER_BUILD_ID: {
    group: 'workers',
    defaultText: 'the package version and a digest of the workflow bundle',
    meaning: "The worker's build id within the deployment. Temporal's Worker Controller sets it.",
  },
  TEMPORAL_WORKER_PROMOTE: {
    group: 'workers',
    defaultText: '`always` in development, `first` otherwise',
    meaning:
      'When a starting worker makes its build current: `always`, `first` (only while the deployment has no current build) or `never` (an operator does).',
  },
  UPGRADE_SWEEP_EVERY: {
    group: 'workers',
    default: '10m',
    meaning: 'How often idle accounts on an earlier build are woken to move to the current one (at least `1m`).',
  },
  UPGRADE_SWEEP_RPS: {
    group: 'workers',
    default: '20',
    meaning: 'Accounts the build sweep wakes per second.',
  },

  // Account lifecycle
  WEBHOOK_DEDUPE_WINDOW: {
    group: 'lifecycle',
    default: '1h',
    meaning: 'Identical deliveries within this window are duplicates and change nothing.',
  },
  HISTORY_EVENTS_PER_RUN: {
    group: 'lifecycle',
    default: '1500',
    meaning: "An account's workflow continues as new when its history reaches this many events.",
  },
  SYNC_RETRY_BACKOFF: {
    group: 'lifecycle',
    default: '2m,10m,30m,2h,6h',
    meaning:
      "Waits before each manual sync retry in `sync_failed`, each at least `2m` (Mono's limit); the account escalates after the last.",
  },
  REAUTH_SYNC_GRACE: {
    group: 'lifecycle',
    default: '10m',
    meaning: 'How long `reauthorised` waits for fresh data before it asks Mono for a sync itself.',
  },
  REAUTH_REMINDERS: {
    group: 'lifecycle',
    default: '1d,3d,7d',
    meaning: 'Reminders to the owner in `reauth_required`, as offsets from entering it; their number is the cap.',
  },
  REAUTH_ESCALATE_AFTER: {
    group: 'lifecycle',
    default: '7d',
    meaning: 'Escalate to operators when the owner has not re-authorised after this long.',
  },
  REAUTH_REMINDER_MIN_GAP: {
    group: 'lifecycle',
    default: '12h',
    meaning: 'No reminder sooner than this after the previous message to the owner.',
  },

  // Notifications
  NOTIFY_CHANNELS: {
    group: 'notifications',
    default: 'log',
    meaning:
      "Comma-separated: `log`, `webhook`, `email`, `sms`, `whatsapp`. `webhook` needs `NOTIFY_WEBHOOK_URL` and `NOTIFY_WEBHOOK_SECRET`; `email` needs `SMTP_URL` and `NOTIFY_FROM`; outside development `sms` needs `AT_USERNAME`, `AT_API_KEY`, `AT_CALLBACK_KEY` and `PHONE_LOOKUP_SECRET`, `whatsapp` needs the `WHATSAPP_*` credentials and `PHONE_LOOKUP_SECRET`. In development, unset, they go to the Mono simulator's fake providers.",
  },
  NOTIFY_WEBHOOK_URL: {
    group: 'notifications',
    meaning: 'Your endpoint for notices (Standard Webhooks format); `https://` outside development.',
  },
  NOTIFY_WEBHOOK_SECRET: {
    group: 'notifications',
    meaning:
      'Signing secrets of the notice webhooks, comma-separated, each `whsec_` and the base64 of at least 24 random bytes (`whsec_$(openssl rand -base64 32)`). Every secret signs (one `v1,…` each in `webhook-signature`), so a secret rotates without a gap: add the new one, move the receiver to it, then drop the old one.',
  },
  OPERATOR_WEBHOOK_URL: {
    group: 'notifications',
    meaning:
      "Operators' own endpoint for `account.escalated`, in the format of `NOTIFY_WEBHOOK_URL`, signed with `OPERATOR_WEBHOOK_SECRET`.",
  },
  OPERATOR_WEBHOOK_SECRET: {
    group: 'notifications',
    defaultText: 'in development, `NOTIFY_WEBHOOK_SECRET`; required with `OPERATOR_WEBHOOK_URL` outside development',
    meaning:
      "Signing secrets of the operator notices, comma-separated like `NOTIFY_WEBHOOK_SECRET`; never the customer's secret.",
  },
  SMTP_URL: {
    group: 'notifications',
    meaning: 'SMTP server for the `email` channel, e.g. `smtps://user:password@smtp.example.com:465`.',
  },
  SMTP_REQUIRE_TLS: {
    group: 'notifications',
    defaultText: '`true` outside development (where `false` is refused); `false` in development',
    meaning: 'Refuse to send mail over an unencrypted connection (STARTTLS or `smtps://` required).',
  },
  NOTIFY_FROM: {
    group: 'notifications',
    meaning: 'Sender address of the `email` channel.',
  },
  AT_API_URL: {
    group: 'notifications',
    defaultText:
      "`https://api.africastalking.com`; in development with the Mono simulator, the simulator's fake Africa's Talking",
    meaning: "Africa's Talking's API for the `sms` channel; its sandbox is `https://api.sandbox.africastalking.com`.",
  },
  AT_USERNAME: {
    group: 'notifications',
    defaultText: 'in development, `sandbox`',
    meaning: "Your Africa's Talking application's username (`sandbox` for its sandbox).",
  },
  AT_API_KEY: {
    group: 'notifications',
    defaultText: "in development, the simulator's",
    meaning: "Your Africa's Talking API key, sent in the `apiKey` header.",
  },
  AT_SENDER_ID: {
    group: 'notifications',
    meaning: "A registered alphanumeric sender id or short code (`from`); unset, Africa's Talking's default.",
  },
  AT_CALLBACK_KEY: {
    group: 'notifications',
    defaultText: "in development, the simulator's",
    meaning:
      "A random key of at least 32 characters in the callback URLs you register with Africa's Talking (`/webhooks/africastalking/incoming?key=…` and `/webhooks/africastalking/opt-out?key=…`): Africa's Talking does not sign its callbacks.",
  },
  WHATSAPP_API_URL: {
    group: 'notifications',
    defaultText: "`https://graph.facebook.com/v21.0`; in development with the Mono simulator, the simulator's fake",
    meaning: 'The Graph API, with its version, for the `whatsapp` channel.',
  },
  WHATSAPP_PHONE_NUMBER_ID: {
    group: 'notifications',
    defaultText: "in development, the simulator's",
    meaning: 'The id of your WhatsApp Business phone number (WhatsApp Manager → API setup).',
  },
  WHATSAPP_ACCESS_TOKEN: {
    group: 'notifications',
    defaultText: "in development, the simulator's",
    meaning: "A system user's access token with `whatsapp_business_messaging`.",
  },
  WHATSAPP_APP_SECRET: {
    group: 'notifications',
    defaultText: "in development, the simulator's",
    meaning:
      "Your Meta app's secret: inbound WhatsApp webhooks (`/webhooks/whatsapp`) must carry its `X-Hub-Signature-256`.",
  },
  WHATSAPP_VERIFY_TOKEN: {
    group: 'notifications',
    defaultText: "in development, the simulator's",
    meaning: "The verify token you give Meta for the webhook's `GET` handshake (`hub.verify_token`).",
  },
  PHONE_LOOKUP_SECRET: {
    group: 'notifications',
    defaultText: 'in development, a public development value',
    meaning:
      'Key of the HMAC that names a phone number in its durable opt-out (`phone-opt-out-<HMAC>`). Never change it: the opt-outs recorded under the old key would be forgotten.',
  },
  NOTIFY_RETRY_FOR: {
    group: 'notifications',
    default: '1d',
    meaning: 'How long a notice is retried on a channel before it becomes a dead letter (at least `1m`).',
  },
  INCIDENT_CHECK_EVERY: {
    group: 'incidents',
    default: '1m',
    meaning:
      'How often the incident-check schedule counts failing accounts per institution, and an open incident recounts its own (at least `1s`).',
  },
  INCIDENT_WINDOW: {
    group: 'incidents',
    default: '30m',
    meaning:
      'Accounts count toward opening an incident when they entered `sync_failed` or `reauth_required` within this window.',
  },
  INCIDENT_THRESHOLD: {
    group: 'incidents',
    default: '0.5',
    meaning:
      "An incident opens when at least this share (0–1) of an institution's running accounts failed within the window.",
  },
  INCIDENT_MIN_ACCOUNTS: {
    group: 'incidents',
    default: '20',
    meaning:
      'Institutions with fewer running accounts never open an incident (a few accounts failing together is no outage).',
  },
  INCIDENT_CLOSE_BELOW: {
    group: 'incidents',
    default: '0.1',
    meaning:
      "An open incident closes once the share of the institution's accounts failing (whenever they started) stays below this for `INCIDENT_CLOSE_AFTER`. Must be below `INCIDENT_THRESHOLD`.",
  },
  INCIDENT_CLOSE_AFTER: {
    group: 'incidents',
    default: '15m',
    meaning: 'How long the share failing must stay below `INCIDENT_CLOSE_BELOW` before the incident closes.',
  },
  INCIDENT_SYNC_BACKOFF: {
    group: 'incidents',
    default: '10m,30m,1h,2h',
    meaning:
      "Held accounts sync on this shared schedule, counted from the incident's opening (the last step repeats), instead of their own backoff; Mono's 2-minute limit per account still applies.",
  },
  INCIDENT_RELEASE_SPREAD: {
    group: 'incidents',
    default: '1h',
    meaning:
      'When an incident closes, its accounts are released spread over this window, so the held notices still true do not all go out at once. At most `1d`.',
  },
  INCIDENT_MAX_OPEN: {
    group: 'incidents',
    default: '3d',
    meaning:
      'An incident open this long closes anyway and releases its accounts (owners who still need to re-authorise are then told).',
  },
  REDELIVER_SPREAD: {
    group: 'notifications',
    default: '5m',
    meaning:
      "A redeliver job (`POST /notices/redeliver`, `mono-reauth notices redeliver` for every account) spreads the accounts' requeued first attempts over this window, each at a jittered place, so that a receiver that just recovered is not hit all at once. `0s`: as fast as the job goes. At most `1d`; a request may give its own (`spreadOver`).",
  },
  NOTIFY_QUIET_HOURS: {
    group: 'notifications',
    meaning:
      "`HH:MM-HH:MM`, e.g. `21:00-08:00`: reminders due inside it wait for its end, in the owner's time zone, and so does every SMS or WhatsApp message to the owner (the first re-auth message included).",
  },
  NOTIFY_TIME_ZONE: {
    group: 'notifications',
    default: 'Africa/Lagos',
    meaning: "The owner's time zone (IANA) when none is registered.",
  },
  APP_NAME: {
    group: 'notifications',
    meaning:
      "The customer's app name, as owners know it, in the owners' messages and on the re-auth page (at most 60 characters). Unset: the texts name no app. WhatsApp messages need it.",
  },
  APP_LOGO_URL: {
    group: 'notifications',
    meaning:
      "An https URL of the customer's logo, shown in HTML emails and on the re-auth page; the page's Content-Security-Policy allows images from its origin and no other.",
  },
  TEMPLATES_DIR: {
    group: 'notifications',
    meaning:
      "A directory of the customer's own templates of the owners' messages and the re-auth page: a file there replaces the built-in one of the same path under `templates/`, every other file falls back to the built-in one. Every template is read and checked at start; one that cannot be used stops the start with its path.",
  },
  REAUTH_LINK_SECRET: {
    group: 'notifications',
    defaultText: '`dev-reauth-link-secret` (development only)',
    meaning:
      'HMAC keys of re-auth links, newest first, comma-separated: the first signs, all verify. Random, at least 32 characters.',
  },
  REAUTH_LINK_TTL: {
    group: 'notifications',
    default: '7d',
    meaning: 'Lifetime of a re-auth link (at least `1m`); every reminder carries a fresh one.',
  },

  // Reconciliation
  RECONCILE_EVERY: {
    group: 'reconciliation',
    default: '6h',
    meaning: 'Interval of the reconcile schedule (at least `1m`).',
  },
  RECONCILE_STUCK_AFTER: {
    group: 'reconciliation',
    default: '6h',
    meaning:
      'An account in `sync_failed`, `reauth_required` or `reauthorised` this long without news from Mono is checked.',
  },
  RECONCILE_SILENT_AFTER: {
    group: 'reconciliation',
    default: '36h',
    meaning:
      "An account that heard nothing from Mono this long is checked, in any state (Mono's nightly cycle is 24h).",
  },
  RECONCILE_CONCURRENCY: {
    group: 'reconciliation',
    default: '20',
    meaning: 'Accounts a reconcile run checks at the same time (their Mono calls are paced by `MONO_MAX_RPS` anyway).',
  },

  // Development
  NODE_ENV: {
    group: 'development',
    defaultText: 'unset',
    meaning:
      '`production` ends development mode (and makes `HOST` default to `0.0.0.0`); unset, `development` or `test` allow it; any other value ends it with a warning.',
  },
  MONO_SIM_PORT: {
    group: 'development',
    default: '3100',
    meaning: 'Port of the Mono simulator that `npm start` runs when `MONO_SECRET_KEY` is unset.',
  },
  TEMPORAL_UI_PORT: {
    group: 'development',
    defaultText: 'the port of `TEMPORAL_ADDRESS` + 1000 (`8233`)',
    meaning: 'Web UI port of the embedded dev server.',
  },
  TEMPORAL_DATA_DIR: {
    group: 'development',
    default: '.data',
    meaning: "The embedded dev server's SQLite file and log, and the development codec key.",
  },
  TEMPORAL_CLI_PATH: {
    group: 'development',
    readBy: BINARIES,
    meaning: 'The `temporal` CLI (dev server) to use instead of the one on `PATH` or in the cache.',
  },
  TEMPORAL_TEST_SERVER_PATH: {
    group: 'development',
    readBy: BINARIES,
    meaning: "Temporal's time-skipping test server to use (the tests).",
  },
  MONO_REAUTH_CACHE_DIR: {
    group: 'development',
    readBy: BINARIES,
    defaultText: '`~/.cache/mono-reauth`',
    meaning: "Where the Temporal binaries and the cluster script's build are cached.",
  },
  MONO_SIM_HOST: {
    group: 'development',
    readBy: SIMULATOR,
    defaultText: '`127.0.0.1`',
    meaning: 'Address of the simulator run on its own.',
  },
  MONO_SIM_WEBHOOK_URL: {
    group: 'development',
    readBy: SIMULATOR,
    defaultText: '`http://localhost:3000/webhooks/mono`',
    meaning: 'Where the simulator run on its own sends its webhooks.',
  },
};
