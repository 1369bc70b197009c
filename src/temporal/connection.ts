/**
 * How this process reaches Temporal, from the same variables and profile file as the `temporal` CLI
 * (`@temporalio/envconfig`): TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS*,
 * TEMPORAL_PROFILE, TEMPORAL_CONFIG_FILE. One description serves the ingress client, the worker, the CLI and
 * readiness, so a Temporal Cloud namespace (API key or mTLS) or a TLS-fronted cluster works everywhere at once.
 */
import { readFileSync } from 'node:fs';
import { Connection } from '@temporalio/client';
import type { NativeConnectionOptions } from '@temporalio/worker';
import { loadClientConfigProfile, toClientOptions, type ClientConfigProfile } from '@temporalio/envconfig';
import { grpcStatusOf } from './grpc-status.js';

export interface TemporalTarget {
  address: string;
  namespace: string;
  /** The profile as envconfig read it (file and environment); certificates are loaded when connecting. */
  profile: ClientConfigProfile;
  /** TLS or an API key is configured: never start a dev server for such a target. */
  secured: boolean;
  /** The connection is encrypted: TLS settings, or an API key (which implies TLS unless TEMPORAL_TLS=false). */
  tls: boolean;
  /** TLS was turned off explicitly (TEMPORAL_TLS=false, or `disabled` in the profile's tls section). */
  tlsOffOnPurpose: boolean;
  /** For banners and errors: address, namespace and how we authenticate (never the key or certificate). */
  description: string;
}

/** Thrown when the Temporal connection settings cannot be used; the message says what to fix. */
export class TemporalConnectionError extends Error {
  override name = 'TemporalConnectionError';
}

/**
 * Reads the connection settings. `defaults` fill what neither the environment nor the profile file sets.
 * Throws TemporalConnectionError for a profile file that cannot be read or a missing certificate file.
 */
export function loadTemporalTarget(
  env: Record<string, string | undefined>,
  defaults: { address: string; namespace: string }
): TemporalTarget {
  const overrideEnvVars = Object.fromEntries(
    Object.entries(env).filter((e): e is [string, string] => typeof e[1] === 'string' && e[1].trim() !== '')
  );
  let profile: ClientConfigProfile;
  try {
    profile = loadClientConfigProfile({
      overrideEnvVars,
      ...(env.TEMPORAL_PROFILE ? { profile: env.TEMPORAL_PROFILE } : {}),
    });
  } catch (err) {
    throw new TemporalConnectionError(
      `the Temporal client configuration could not be read (TEMPORAL_CONFIG_FILE / TEMPORAL_PROFILE): ${messageOf(err)}`
    );
  }
  for (const [what, source] of [
    ['TEMPORAL_TLS_CLIENT_CERT_PATH', profile.tls?.clientCert],
    ['TEMPORAL_TLS_CLIENT_KEY_PATH', profile.tls?.clientKey],
    ['TEMPORAL_TLS_SERVER_CA_CERT_PATH', profile.tls?.serverCACert],
  ] as const) {
    if (source && 'path' in source) {
      try {
        readFileSync(source.path);
      } catch {
        throw new TemporalConnectionError(
          `${what}: cannot read ${source.path}; point it at a PEM file this process can read`
        );
      }
    }
  }
  if (Boolean(profile.tls?.clientCert) !== Boolean(profile.tls?.clientKey)) {
    throw new TemporalConnectionError(
      'TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_* go together: set both for mTLS, or neither'
    );
  }
  const address = profile.address ?? defaults.address;
  const namespace = profile.namespace ?? defaults.namespace;
  const tlsOffOnPurpose = profile.tls?.disabled === true;
  const tlsOn = profile.tls !== undefined && !tlsOffOnPurpose;
  const mtls = tlsOn && profile.tls?.clientCert !== undefined;
  const secured = tlsOn || profile.apiKey !== undefined;
  // As @temporalio/envconfig's toClientOptions: an API key turns TLS on unless the tls section disables it.
  const tls = tlsOn || (profile.apiKey !== undefined && !tlsOffOnPurpose);
  const how = [mtls ? 'mTLS' : tls ? 'TLS' : 'plaintext', profile.apiKey ? 'API key' : null].filter(Boolean).join(', ');
  return {
    address,
    namespace,
    profile: { ...profile, address, namespace },
    secured,
    tls,
    tlsOffOnPurpose,
    description: `${address} (namespace ${namespace}, ${how})`,
  };
}

/** Options for `Connection.connect`/`Connection.lazy` (client) and `NativeConnection.connect` (worker). */
export function connectionOptions(target: TemporalTarget): NativeConnectionOptions & { address: string } {
  const { connectionOptions } = toClientOptions(target.profile);
  return { ...connectionOptions, address: target.address };
}

/**
 * Connects and asks the server who it is, within `timeoutMs`. Resolves when Temporal answers; otherwise throws a
 * TemporalConnectionError that says what is most likely wrong (unreachable, TLS, credentials, namespace).
 */
export async function checkTemporalConnection(target: TemporalTarget, timeoutMs = 10_000): Promise<void> {
  let connection: Connection | undefined;
  try {
    connection = await Connection.connect({ ...connectionOptions(target), connectTimeout: timeoutMs });
    await connection.withDeadline(Date.now() + timeoutMs, () =>
      connection!.workflowService.describeNamespace({ namespace: target.namespace })
    );
  } catch (err) {
    // grpc retries a failed handshake until the deadline and then reports only the deadline: ask TLS itself why.
    const tlsFailure = target.tls ? await probeTls(target) : undefined;
    throw new TemporalConnectionError(
      tlsFailure
        ? `Temporal at ${target.description}: the TLS handshake failed (${tlsFailure}). Check TEMPORAL_TLS_SERVER_CA_CERT_* and TEMPORAL_TLS_SERVER_NAME, and the client certificate if one is set.`
        : explain(err, target)
    );
  } finally {
    await connection?.close().catch(() => undefined);
  }
}

function explain(err: unknown, target: TemporalTarget): string {
  const code = grpcStatusOf(err);
  const detail = messageOf(err).slice(0, 300);
  const where = `Temporal at ${target.description}`;
  if (code === 16 || code === 7) {
    return `${where} refused our credentials (${detail}). Check TEMPORAL_API_KEY, or the client certificate and key (TEMPORAL_TLS_CLIENT_CERT_*, TEMPORAL_TLS_CLIENT_KEY_*), and that they grant access to namespace ${target.namespace}.`;
  }
  if (code === 5) {
    return `${where}: namespace ${target.namespace} does not exist. Create it (temporal operator namespace create -n ${target.namespace}) or set TEMPORAL_NAMESPACE.`;
  }
  if (/certificate|ssl|tls|handshake|self.signed|wrong version number/i.test(detail)) {
    return `${where}: the TLS handshake failed (${detail}). Check TEMPORAL_TLS_SERVER_CA_CERT_* and TEMPORAL_TLS_SERVER_NAME, and whether the server expects TLS at all (TEMPORAL_TLS=false for plaintext).`;
  }
  if (code === 13 && /HTTP status code 4\d\d/.test(detail)) {
    return `${where} refused the connection (${detail}): a TLS proxy in front of Temporal answers so when the client certificate is missing or not one it trusts. Check TEMPORAL_TLS_CLIENT_CERT_* and TEMPORAL_TLS_CLIENT_KEY_*.`;
  }
  const tlsHint = target.secured
    ? ', and the TLS settings'
    : '; if the server expects TLS (Temporal Cloud always does), set TEMPORAL_TLS=true or TEMPORAL_API_KEY';
  return `${where} did not answer (${detail}). Check TEMPORAL_ADDRESS and that the server is up${tlsHint}.`;
}

/** Why a TLS handshake with the target fails, or undefined when it succeeds (or the server does not answer). */
async function probeTls(target: TemporalTarget): Promise<string | undefined> {
  const { connect } = await import('node:tls');
  const options = connectionOptions(target);
  const tls = typeof options.tls === 'object' && options.tls ? options.tls : {};
  const separator = target.address.lastIndexOf(':');
  const host = target.address.slice(0, separator);
  return new Promise((resolve) => {
    const socket = connect({
      host,
      port: Number(target.address.slice(separator + 1)),
      servername: tls.serverNameOverride ?? (/^[\d.]+$/.test(host) ? undefined : host),
      ca: pem(tls.serverRootCACertificate),
      cert: pem(tls.clientCertPair?.crt),
      key: pem(tls.clientCertPair?.key),
      ALPNProtocols: ['h2'],
      timeout: 3_000,
    });
    const done = (result: string | undefined): void => {
      socket.destroy();
      resolve(result);
    };
    socket.once('secureConnect', () => done(undefined));
    socket.once('timeout', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) =>
      done(err.code === 'ECONNREFUSED' ? undefined : err.message || err.code)
    );
  });
}

function pem(data: Uint8Array | undefined): Buffer | undefined {
  return data ? Buffer.from(data) : undefined;
}

function messageOf(err: unknown): string {
  const e = err as { details?: unknown; message?: unknown; cause?: unknown } | null;
  const details = typeof e?.details === 'string' && e.details ? e.details : undefined;
  const cause = e?.cause instanceof Error ? `: ${e.cause.message}` : '';
  return details ?? (typeof e?.message === 'string' ? `${e.message}${cause}` : String(err));
}
