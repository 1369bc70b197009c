/**
 * Whether the service runs in development mode, and whether a secret is good enough outside it. Pure.
 * Development conveniences (default secrets, the simulator, the dev server's open codec endpoint) need an explicit
 * development signal: every listener on loopback, NODE_ENV unset, `development` or `test`, and a Temporal server on
 * this machine without TLS or an API key. Anything else is exposure, and `config.ts` refuses the conveniences.
 */

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The NODE_ENV values that allow development mode; `production` ends it, and any other value warns. */
const DEVELOPMENT_NODE_ENVS: ReadonlySet<string | undefined> = new Set([undefined, 'development', 'test']);

export interface ExposureFacts {
  nodeEnv: string | undefined;
  /** The public listener (HOST). */
  host: string;
  /** The operator listener's host (ADMIN_ADDRESS), or null when it shares the public listener. */
  adminHost: string | null;
  publicBaseUrl: string | undefined;
  monoSecretKey: string | undefined;
  /** The Temporal frontend as `host:port` (TEMPORAL_ADDRESS or the profile's address). */
  temporalAddress: string;
  /** Temporal is reached with an API key (TEMPORAL_API_KEY or the profile's). */
  temporalApiKey: boolean;
  /** Temporal is reached over TLS (TEMPORAL_TLS*, or the profile's tls section). */
  temporalTls: boolean;
}

/** Why the service is not in development mode, each reason naming its variable (empty: development). */
export function exposureReasons(f: ExposureFacts): string[] {
  const reasons: string[] = [];
  if (f.nodeEnv === 'production') reasons.push('NODE_ENV=production');
  else if (!DEVELOPMENT_NODE_ENVS.has(f.nodeEnv)) reasons.push(`NODE_ENV=${f.nodeEnv} is not development or test`);
  if (!isLoopbackHost(f.host)) reasons.push(`HOST=${f.host} (other machines can connect)`);
  if (f.adminHost !== null && !isLoopbackHost(f.adminHost)) reasons.push(`ADMIN_ADDRESS on ${f.adminHost}`);
  if (f.publicBaseUrl) {
    const host = safeHost(f.publicBaseUrl);
    if (host !== null && !isLoopbackHost(host) && !isReservedForTesting(host)) {
      reasons.push(`PUBLIC_BASE_URL points at ${host}`);
    }
  }
  if (f.monoSecretKey?.startsWith('live_')) reasons.push('MONO_SECRET_KEY is a live key');
  const temporalHost = hostOf(f.temporalAddress);
  if (temporalHost === '0.0.0.0') {
    reasons.push('TEMPORAL_ADDRESS=0.0.0.0 (a dev server there would listen on every interface)');
  } else if (!isLoopbackHost(temporalHost)) {
    reasons.push(`TEMPORAL_ADDRESS on ${temporalHost} (Temporal on another machine)`);
  }
  if (f.temporalApiKey) reasons.push('TEMPORAL_API_KEY is set (a secured Temporal: a cluster or Temporal Cloud)');
  else if (f.temporalTls) reasons.push('TEMPORAL_TLS* is set (a secured Temporal: a cluster or Temporal Cloud)');
  return reasons;
}

/** A warning for a NODE_ENV that is none of production, development and test (a typo such as `prod`), or undefined. */
export function nodeEnvWarning(nodeEnv: string | undefined): string | undefined {
  if (nodeEnv === 'production' || DEVELOPMENT_NODE_ENVS.has(nodeEnv)) return undefined;
  return `NODE_ENV=${nodeEnv} is none of production, development and test: development mode is off (HOST still defaults to 127.0.0.1)`;
}

/**
 * What is wrong with reaching Temporal in plaintext, or undefined: to another machine it is refused unless TLS was
 * turned off on purpose (TEMPORAL_TLS=false), which `warning` then reports.
 */
export function temporalPlaintextCheck(f: { temporalAddress: string; tls: boolean; tlsOffOnPurpose: boolean }): {
  problem?: string;
  warning?: string;
} {
  if (f.tls || isLoopbackHost(hostOf(f.temporalAddress))) return {};
  if (f.tlsOffOnPurpose) {
    return {
      warning: `TEMPORAL_TLS=false: the connection to Temporal at ${f.temporalAddress} is not encrypted (payloads are, by the codec; ids, search attributes and credentials are not)`,
    };
  }
  return {
    problem:
      'TEMPORAL_ADDRESS: plaintext to a Temporal server on another machine is refused; set TEMPORAL_TLS=true (with TEMPORAL_TLS_SERVER_CA_CERT_PATH for a private CA) or TEMPORAL_API_KEY, or TEMPORAL_TLS=false to accept plaintext on a private network on purpose',
  };
}

/** Values that are known not to be secrets: placeholders, examples and the development defaults. */
const PLACEHOLDER =
  /change-?me|placeholder|example|your[-_ ]?(secret|token|key)|^dev-(webhook-secret|admin-token)$|^(secret|password|token|test)$/i;

/** What is wrong with `value` as a secret that must be at least `minLength` long, or undefined when it is fine. */
export function secretProblem(value: string, minLength: number): string | undefined {
  if (PLACEHOLDER.test(value.trim())) return 'is a placeholder or a development default, not a secret';
  if (value.length < minLength)
    return `is shorter than ${minLength} characters; use a random value (openssl rand -base64 32)`;
  if (new Set(value).size < 8) return 'has too few distinct characters to be a secret; use a random value';
  return undefined;
}

/** Names under the top-level domains reserved for tests and examples (RFC 2606, RFC 6761) resolve nowhere. */
function isReservedForTesting(host: string): boolean {
  return /\.(test|invalid|localhost)$/i.test(host) || /^(localhost|test|invalid)$/i.test(host);
}

function hostOf(address: string): string {
  const colon = address.lastIndexOf(':');
  return colon < 0 ? address : address.slice(0, colon);
}

function safeHost(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}
