/**
 * The OpenAPI 3.1 document of the service's HTTP interface, generated from the zod schemas the routes validate
 * with (zod's own JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses). Served at `GET /openapi.json` on
 * the operator listener. Each operation names the roles whose tokens it accepts (server/access.ts) as its
 * security requirements; test/unit/openapi.test.ts checks the document with an OpenAPI validator, that
 * every route the apps mount is in it, and that each route accepts exactly the roles it lists.
 */
import { z } from 'zod';
import { packageVersion } from '../deployment/build-id.js';
import { CODEC_OR_OPERATOR, INTEGRATION_OR_OPERATOR, OPERATOR_ONLY, type Role } from './access.js';
import { ImportBody } from './admin/import-route.js';
import * as S from './admin/schemas.js';
import { CodecBody } from './codec/routes.js';
import { PhoneLookupBody, PhoneOptOutAnswer, PhoneOptOutBody } from './admin/phone-routes.js';
import { Envelope } from './webhooks/schema.js';

type Schema = z.ZodType;

export interface Operation {
  method: 'get' | 'post' | 'put';
  /** Express syntax: `/accounts/:accountId`. */
  path: string;
  summary: string;
  tag: 'integration' | 'operator' | 'codec' | 'health' | 'public';
  /** Roles whose bearer token it accepts; omitted: no token (`webhook`: the Mono webhook secret). */
  roles?: readonly Role[] | 'webhook';
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: Schema;
  /** Status → JSON schema of the answer (`text`: a text or HTML answer). */
  responses: Record<number, Schema | 'text'>;
}

const Health = z.object({ ok: z.boolean(), error: z.string().optional() });
const refused = { 400: S.ErrorBody, 401: S.ErrorBody, 403: S.ErrorBody, 429: S.ErrorBody };
const onAccount = { ...refused, 404: S.ErrorBody };

/** Every route of the service: the operator listener's, then the public listener's. */
export const OPERATIONS: readonly Operation[] = [
  { method: 'get', path: '/healthz', summary: 'The process is up', tag: 'health', responses: { 200: Health } },
  {
    method: 'get',
    path: '/readyz',
    summary: 'Every role of this process is up (Temporal reachable, the worker running); 503 while not or draining',
    tag: 'health',
    responses: { 200: Health, 503: Health },
  },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', tag: 'health', responses: { 200: 'text' } },
  {
    method: 'get',
    path: '/metrics/accounts',
    summary: 'Gauges about all accounts, computed from Temporal (scrape through one address; docs/monitoring.md)',
    tag: 'health',
    responses: { 200: 'text' },
  },
  { method: 'get', path: '/openapi.json', summary: 'This document', tag: 'health', responses: { 200: z.object({}) } },
  {
    method: 'put',
    path: '/accounts/:accountId/contact',
    summary:
      "Register the owner's contact (email, time zone, language, phone, WhatsApp consent); starts the account's workflow if needed",
    tag: 'integration',
    roles: INTEGRATION_OR_OPERATOR,
    params: S.AccountPath,
    body: S.ContactBody,
    responses: { 202: S.Accepted, ...refused },
  },
  {
    method: 'get',
    path: '/accounts/:accountId/status',
    summary: "The account's state and whether its owner must re-authorise",
    tag: 'integration',
    roles: INTEGRATION_OR_OPERATOR,
    params: S.AccountPath,
    responses: { 200: S.AccountStatus, ...onAccount },
  },
  {
    method: 'get',
    path: '/accounts/:accountId/reauth-link',
    summary: 'A freshly signed re-auth link while the account needs re-auth (409 otherwise)',
    tag: 'integration',
    roles: INTEGRATION_OR_OPERATOR,
    params: S.AccountPath,
    responses: { 200: S.ReauthLink, ...onAccount, 409: S.ErrorBody },
  },
  {
    method: 'get',
    path: '/accounts',
    summary: 'Accounts from visibility, filtered and paged',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    query: S.ListQuery,
    responses: { 200: S.AccountPage, ...refused },
  },
  {
    method: 'get',
    path: '/accounts/:accountId',
    summary: "The account's `state` query",
    tag: 'operator',
    roles: OPERATOR_ONLY,
    params: S.AccountPath,
    responses: { 200: S.AccountView, ...onAccount },
  },
  {
    method: 'post',
    path: '/accounts/:accountId/retry',
    summary: 'Retry a manual sync now (the retrySync update)',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    params: S.AccountPath,
    body: S.OperatorBody,
    responses: { 202: S.RetryAccepted, ...onAccount, 409: S.ErrorBody },
  },
  {
    method: 'post',
    path: '/accounts/:accountId/reauth-link',
    summary: 'Send the owner a fresh re-auth link now (the resendReauthLink update)',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    params: S.AccountPath,
    body: S.OperatorBody,
    responses: { 202: S.ResendAccepted, ...onAccount, 409: S.ErrorBody },
  },
  {
    method: 'get',
    path: '/accounts/:accountId/notices',
    summary: "The account's notices in delivery and its dead letters",
    tag: 'operator',
    roles: OPERATOR_ONLY,
    params: S.AccountPath,
    responses: { 200: S.AccountNotices, ...onAccount },
  },
  {
    method: 'post',
    path: '/accounts/:accountId/notices/redeliver',
    summary: "Redeliver the account's dead letters (the redeliverNotices update)",
    tag: 'operator',
    roles: OPERATOR_ONLY,
    params: S.AccountPath,
    body: S.RedeliverBody,
    responses: { 202: S.RedeliverAccepted, ...onAccount, 409: S.ErrorBody },
  },
  {
    method: 'get',
    path: '/notices/undelivered',
    summary: 'Dead letters of every account',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    query: S.UndeliveredQuery,
    responses: { 200: S.UndeliveredNotices, ...refused },
  },
  {
    method: 'get',
    path: '/reports/reauth-funnel',
    summary:
      'The re-auth funnel: owners prompted since a time, how many re-authorised, how fast (median, p90), by channels and institution',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    query: S.FunnelQuery,
    responses: { 200: S.FunnelReport, ...refused },
  },
  {
    method: 'post',
    path: '/notices/redeliver',
    summary: "Start the job that redelivers every account's dead letters, spread over a window (Location: /jobs/<id>)",
    tag: 'operator',
    roles: OPERATOR_ONLY,
    body: S.RedeliverAllBody,
    responses: { 202: S.Job, ...refused, 409: S.JobConflict },
  },
  {
    method: 'post',
    path: '/accounts/import',
    summary: 'Start the job that enrols existing accounts by id (idempotent); dryRun previews and starts nothing',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    body: ImportBody,
    responses: { 200: S.ImportPreview, 202: S.Job, ...refused, 409: S.JobConflict },
  },
  {
    method: 'get',
    path: '/jobs',
    summary: 'The most recent bulk jobs, newest first',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    responses: { 200: S.JobList, ...refused },
  },
  {
    method: 'get',
    path: '/jobs/:jobId',
    summary: 'A bulk job and its progress',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    params: S.JobPath,
    responses: { 200: S.Job, ...refused, 404: S.ErrorBody },
  },
  {
    method: 'post',
    path: '/jobs/:jobId/cancel',
    summary: 'Stop a running bulk job; what it did stays done (409 once it has finished)',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    params: S.JobPath,
    responses: { 202: S.Job, ...refused, 404: S.ErrorBody, 409: S.JobConflict },
  },
  {
    method: 'get',
    path: '/incidents',
    summary: 'Bank-wide incidents, open ones first, with their counts (docs/incidents.md)',
    tag: 'operator',
    roles: OPERATOR_ONLY,
    responses: { 200: S.IncidentList, ...refused },
  },
  {
    method: 'post',
    path: '/codec/decode',
    summary: "Temporal's remote codec protocol: decrypt payloads (the Web UI, the CLI)",
    tag: 'codec',
    roles: CODEC_OR_OPERATOR,
    body: CodecBody,
    responses: { 200: CodecBody, ...refused },
  },
  {
    method: 'post',
    path: '/codec/encode',
    summary: "Temporal's remote codec protocol: encrypt payloads",
    tag: 'codec',
    roles: OPERATOR_ONLY,
    body: CodecBody,
    responses: { 200: CodecBody, ...refused },
  },
  {
    method: 'post',
    path: '/webhooks/mono',
    summary: "Mono's webhooks (public listener): 200 only once Temporal has the event",
    tag: 'public',
    roles: 'webhook',
    body: Envelope,
    responses: { 200: z.looseObject({}), 400: S.ErrorBody, 401: S.ErrorBody, 413: S.ErrorBody, 429: S.ErrorBody },
  },
  {
    method: 'put',
    path: '/phone-opt-outs',
    summary: 'Opt a phone number out of SMS and WhatsApp, or back in (durable; when those channels are on)',
    tag: 'integration',
    roles: INTEGRATION_OR_OPERATOR,
    body: PhoneOptOutBody,
    responses: { 200: PhoneOptOutAnswer, ...refused },
  },
  {
    method: 'post',
    path: '/phone-opt-outs/lookup',
    summary: 'Whether a phone number has opted out of SMS and WhatsApp',
    tag: 'integration',
    roles: INTEGRATION_OR_OPERATOR,
    body: PhoneLookupBody,
    responses: { 200: PhoneOptOutAnswer, ...refused },
  },
  ...phoneCallbacks(),
  {
    method: 'get',
    path: '/reauth/:accountId',
    summary: 'The re-auth page behind the links sent to owners (public listener; HTML)',
    tag: 'public',
    params: S.AccountPath,
    responses: { 200: 'text', 403: 'text', 404: 'text', 410: 'text', 429: 'text' },
  },
];

/** The SMS and WhatsApp providers' callbacks (public listener, when those channels are on; form or Meta's JSON). */
function phoneCallbacks(): Operation[] {
  const key = z.object({ key: z.string().meta({ description: 'AT_CALLBACK_KEY' }) });
  const answers = { 200: 'text' as const, 401: S.ErrorBody };
  return [
    {
      method: 'post',
      path: '/webhooks/africastalking/incoming',
      summary: "Africa's Talking's incoming SMS (a STOP or START reply); form-encoded as Africa's Talking sends it",
      tag: 'public',
      query: key,
      responses: answers,
    },
    {
      method: 'post',
      path: '/webhooks/africastalking/opt-out',
      summary: "Africa's Talking's Bulk SMS opt-out notification; form-encoded",
      tag: 'public',
      query: key,
      responses: answers,
    },
    {
      method: 'get',
      path: '/webhooks/whatsapp',
      summary: "Meta's webhook verification handshake (hub.mode, hub.verify_token = WHATSAPP_VERIFY_TOKEN)",
      tag: 'public',
      query: z.object({ 'hub.mode': z.string(), 'hub.verify_token': z.string(), 'hub.challenge': z.string() }),
      responses: { 200: 'text', 403: S.ErrorBody },
    },
    {
      method: 'post',
      path: '/webhooks/whatsapp',
      summary: "Meta's WhatsApp messages webhook (a STOP or START reply), signed with X-Hub-Signature-256",
      tag: 'public',
      responses: { ...answers, 400: S.ErrorBody },
    },
  ];
}

const SECURITY_SCHEMES = {
  operator: { type: 'http', scheme: 'bearer', description: 'An operator token (OPERATOR_TOKENS or ADMIN_TOKEN)' },
  integration: {
    type: 'http',
    scheme: 'bearer',
    description: "An integration token (INTEGRATION_TOKENS): a customer's app backend",
  },
  codec: {
    type: 'http',
    scheme: 'bearer',
    description: 'A codec token (CODEC_TOKENS), or the Web UI user’s OIDC access token',
  },
  webhook: { type: 'apiKey', in: 'header', name: 'mono-webhook-secret', description: 'MONO_WEBHOOK_SECRET' },
} as const;

/** The document (built once per process: the schemas do not change). */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const path = op.path.replace(/:(\w+)/g, '{$1}');
    (paths[path] ??= {})[op.method] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'mono-reauth',
      version: packageVersion(),
      description:
        'Keeps Mono-linked bank accounts healthy. The operator listener (ADMIN_ADDRESS) serves the admin API, the codec and this document; the public one (PORT) serves the webhook and the re-auth page. Tokens by role: integration, operator, codec.',
    },
    tags: ['integration', 'operator', 'codec', 'health', 'public'].map((name) => ({ name })),
    paths,
    components: { securitySchemes: SECURITY_SCHEMES },
  };
}

function operationObject(op: Operation): Record<string, unknown> {
  const security =
    op.roles === undefined ? [] : op.roles === 'webhook' ? [{ webhook: [] }] : op.roles.map((role) => ({ [role]: [] }));
  return {
    operationId: `${op.method}${op.path.replace(/\/:?(\w)/g, (_, c: string) => c.toUpperCase()).replace(/\W/g, '')}`,
    summary: op.summary,
    tags: [op.tag],
    security,
    parameters: [...parameters(op.params, 'path'), ...parameters(op.query, 'query')],
    ...(op.body && {
      requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(op.body, 'input') } } },
    }),
    responses: Object.fromEntries(
      Object.entries(op.responses).map(([status, schema]) => [
        status,
        {
          description: STATUS_TEXT[Number(status)] ?? 'answer',
          content:
            schema === 'text'
              ? { 'text/plain': { schema: { type: 'string' } } }
              : { 'application/json': { schema: jsonSchema(schema, 'output') } },
        },
      ])
    ),
  };
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

function jsonSchema(schema: Schema, io: 'input' | 'output'): Record<string, unknown> {
  const json: Record<string, unknown> = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });
  delete json.$schema;
  return json;
}

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  202: 'Accepted',
  400: 'Invalid input',
  401: 'Missing or wrong credentials',
  403: 'A token of a role without this route',
  404: 'No such account',
  409: 'Refused in the account’s current state',
  410: 'Gone (an expired link, an unlinked account)',
  413: 'Body too large',
  429: 'Too many refused requests from this source',
  503: 'Not ready',
};
