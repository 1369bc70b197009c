/**
 * A typed client for the Mono endpoints this service needs (reference/mono-api.md §3): manual sync,
 * re-auth token, account details (v1 and v2) and unlink. `mono-sec-key` auth, a per-request timeout,
 * responses validated with zod, failures classified (errors.ts). No Temporal in here.
 *
 * Only non-PII facts leave this module: account details come back as institution and data status, never
 * name, account number, BVN or balance.
 */
import { fetchWithoutRedirects, OutboundRefused, STRICT_OUTBOUND, type OutboundPolicy } from '../../lib/outbound.js';
import { z } from 'zod';
import type { Pacer } from '../../lib/pacer.js';
import { errorForStatus, MonoApiError, parseRetryAfter } from './errors.js';

export interface MonoClientOptions {
  baseUrl: string;
  secretKey: string;
  timeoutMs?: number;
  /** Outbound rules (lib/outbound.ts); strict (https, public addresses) unless the caller says otherwise. */
  outbound?: OutboundPolicy;
  now?: () => number;
  /** Told about every call: the endpoint, `ok` or the error kind, and how long it took in seconds (metrics). */
  onCall?: (endpoint: string, outcome: string, seconds: number) => void;
  /** Waited on before every request (lib/pacer.ts: MONO_MAX_RPS for this process). */
  pacer?: Pacer;
}

/** The three spellings Mono's docs have used for a successful manual sync. */
export const SYNC_SUCCESS_CODES = ['SYNC_SUCCESSFUL', 'SYNCED_SUCCESSFUL', 'SYNCED_SUCCESSFULLY'] as const;
export const SYNC_RETRY_LATER_CODES = ['SYNC_ERROR', 'INCOMPLETE_STATEMENT_ERROR'] as const;

export type SyncResult =
  | { outcome: 'synced'; code: string; hasNewData: boolean }
  | { outcome: 'reauth_required'; code: 'REAUTHORISATION_REQUIRED' }
  | { outcome: 'failed'; code: string; message: string };

export interface AccountDetails {
  institution: { name: string; bankCode?: string; type?: string } | null;
  dataStatus: string | null;
  authMethod: string | null;
}

const SyncBody = z.looseObject({
  status: z.string().optional(),
  code: z.string().optional(),
  hasNewData: z.boolean().optional(),
  message: z.string().nullish(),
});

const MessageBody = z.looseObject({ message: z.string().optional() });

const Institution = z.looseObject({
  name: z.string(),
  bankCode: z.string().optional(),
  bank_code: z.string().optional(),
  type: z.string().optional(),
});
const Meta = z.looseObject({ data_status: z.string().optional(), auth_method: z.string().optional() }).optional();
const DetailsV1 = z.looseObject({
  meta: Meta,
  account: z.looseObject({ institution: Institution.nullish(), authMethod: z.string().optional() }),
});
const DetailsV2 = z.looseObject({
  data: z.looseObject({ meta: Meta, account: z.looseObject({ institution: Institution.nullish() }) }),
});
const TokenBody = z.looseObject({ token: z.string().min(1) });

export class MonoClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly now: () => number;

  constructor(private readonly options: MonoClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  /** `POST /accounts/{id}/sync`: asks Mono to refresh the account now (at most once per 2 minutes). */
  syncAccount(
    accountId: string,
    opts: { allowIncompleteStatement?: boolean; signal?: AbortSignal } = {}
  ): Promise<SyncResult> {
    return this.observe('POST /accounts/{id}/sync', this.sync(accountId, opts));
  }

  private async sync(
    accountId: string,
    opts: { allowIncompleteStatement?: boolean; signal?: AbortSignal }
  ): Promise<SyncResult> {
    const query = opts.allowIncompleteStatement ? '?allow_incomplete_statement=true' : '';
    const endpoint = `POST /accounts/{id}/sync`;
    const res = await this.request(
      'POST',
      `/accounts/${encodeURIComponent(accountId)}/sync${query}`,
      endpoint,
      opts.signal
    );
    const body = SyncBody.safeParse(res.json);
    const code = body.success ? body.data.code?.toUpperCase() : undefined;
    // Mono does not document the HTTP status of failed syncs, so a known code wins over the status.
    if (code && (SYNC_SUCCESS_CODES as readonly string[]).includes(code)) {
      return { outcome: 'synced', code, hasNewData: body.success ? (body.data.hasNewData ?? false) : false };
    }
    if (code === 'REAUTHORISATION_REQUIRED') return { outcome: 'reauth_required', code };
    if (code && (SYNC_RETRY_LATER_CODES as readonly string[]).includes(code)) {
      return { outcome: 'failed', code, message: (body.success && body.data.message) || code };
    }
    this.throwIfNotOk(res, endpoint);
    if (body.success && body.data.status?.toLowerCase() === 'successful') {
      return { outcome: 'synced', code: code ?? 'SUCCESSFUL', hasNewData: body.data.hasNewData ?? false };
    }
    throw new MonoApiError(
      'malformed_response',
      `Mono answered ${endpoint} with an unrecognised body (code ${code ?? 'missing'}); retrying.`,
      res.status
    );
  }

  /** `POST /accounts/{id}/reauthorise`: a token for the Connect widget; it expires in 10 minutes. */
  reauthorisationToken(accountId: string, signal?: AbortSignal): Promise<string> {
    return this.observe('POST /accounts/{id}/reauthorise', this.token(accountId, signal));
  }

  private async token(accountId: string, signal?: AbortSignal): Promise<string> {
    const endpoint = 'POST /accounts/{id}/reauthorise';
    const res = await this.request('POST', `/accounts/${encodeURIComponent(accountId)}/reauthorise`, endpoint, signal);
    this.throwIfNotOk(res, endpoint);
    const body = TokenBody.safeParse(res.json);
    if (!body.success)
      throw new MonoApiError('malformed_response', `Mono answered ${endpoint} without a token; retrying.`, res.status);
    return body.data.token;
  }

  /** Account details, `GET /v2/accounts/{id}` or the legacy `GET /accounts/{id}`; PII is dropped here. */
  accountDetails(
    accountId: string,
    opts: { version?: 'v1' | 'v2'; signal?: AbortSignal } = {}
  ): Promise<AccountDetails> {
    const endpoint = (opts.version ?? 'v2') === 'v2' ? 'GET /v2/accounts/{id}' : 'GET /accounts/{id}';
    return this.observe(endpoint, this.details(accountId, opts));
  }

  private async details(
    accountId: string,
    opts: { version?: 'v1' | 'v2'; signal?: AbortSignal }
  ): Promise<AccountDetails> {
    const v2 = (opts.version ?? 'v2') === 'v2';
    const endpoint = v2 ? 'GET /v2/accounts/{id}' : 'GET /accounts/{id}';
    const path = `${v2 ? '/v2' : ''}/accounts/${encodeURIComponent(accountId)}`;
    const res = await this.request('GET', path, endpoint, opts.signal);
    this.throwIfNotOk(res, endpoint);
    const details = v2 ? DetailsV2.safeParse(res.json).data?.data : DetailsV1.safeParse(res.json).data;
    if (!details)
      throw new MonoApiError(
        'malformed_response',
        `Mono answered ${endpoint} with an unexpected shape; retrying.`,
        res.status
      );
    const { meta, account } = details;
    const inst = account.institution;
    return {
      institution: inst ? { name: inst.name, bankCode: inst.bankCode ?? inst.bank_code, type: inst.type } : null,
      dataStatus: meta?.data_status?.toLowerCase() ?? null,
      authMethod: meta?.auth_method ?? null,
    };
  }

  /** `POST /accounts/{id}/unlink`: revokes access and deletes Mono's data for the account. */
  unlinkAccount(accountId: string, signal?: AbortSignal): Promise<void> {
    return this.observe('POST /accounts/{id}/unlink', this.unlink(accountId, signal));
  }

  private async unlink(accountId: string, signal?: AbortSignal): Promise<void> {
    const endpoint = 'POST /accounts/{id}/unlink';
    const res = await this.request('POST', `/accounts/${encodeURIComponent(accountId)}/unlink`, endpoint, signal);
    this.throwIfNotOk(res, endpoint);
  }

  private async observe<T>(endpoint: string, call: Promise<T>): Promise<T> {
    const started = performance.now();
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const result = await call;
      this.options.onCall?.(endpoint, 'ok', seconds());
      return result;
    } catch (err) {
      this.options.onCall?.(endpoint, err instanceof MonoApiError ? err.kind : 'error', seconds());
      throw err;
    }
  }

  private async request(
    method: string,
    path: string,
    endpoint: string,
    signal?: AbortSignal
  ): Promise<{ status: number; json: unknown; retryAfter: string | null }> {
    await this.options.pacer?.wait(signal);
    const timeout = AbortSignal.timeout(this.timeoutMs);
    let res: Response;
    try {
      // Never follows a redirect: it would carry mono-sec-key to wherever the redirect points.
      res = await fetchWithoutRedirects(
        `${this.baseUrl}${path}`,
        {
          method,
          headers: { 'mono-sec-key': this.options.secretKey, accept: 'application/json' },
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        },
        this.options.outbound ?? STRICT_OUTBOUND,
        `Mono (${endpoint}, MONO_API_URL)`
      );
    } catch (err) {
      if (err instanceof OutboundRefused) throw new MonoApiError('refused_by_policy', `${err.message}.`);
      if (timeout.aborted)
        throw new MonoApiError('timeout', `Mono did not answer ${endpoint} within ${this.timeoutMs} ms; retrying.`);
      if (signal?.aborted) throw err;
      throw new MonoApiError(
        'network',
        `Could not reach Mono for ${endpoint} (${(err as Error).cause ? String((err as { cause: unknown }).cause) : (err as Error).message}); retrying.`
      );
    }
    let text: string;
    try {
      text = await res.text();
    } catch {
      throw new MonoApiError(
        timeout.aborted ? 'timeout' : 'network',
        `Mono's answer to ${endpoint} was cut off; retrying.`,
        res.status
      );
    }
    let json: unknown;
    try {
      json = text ? (JSON.parse(text) as unknown) : undefined;
    } catch {
      json = undefined;
      if (res.ok && text.trim() !== 'OK') {
        throw new MonoApiError(
          'malformed_response',
          `Mono answered ${endpoint} with a body that is not JSON; retrying.`,
          res.status
        );
      }
    }
    return { status: res.status, json, retryAfter: res.headers.get('retry-after') };
  }

  private throwIfNotOk(res: { status: number; json: unknown; retryAfter: string | null }, endpoint: string): void {
    if (res.status >= 200 && res.status < 300) return;
    const message = MessageBody.safeParse(res.json);
    const retryAfterMs = res.status === 429 ? (parseRetryAfter(res.retryAfter, this.now()) ?? 120_000) : undefined;
    throw errorForStatus(res.status, endpoint, message.success ? message.data.message : undefined, retryAfterMs);
  }
}
