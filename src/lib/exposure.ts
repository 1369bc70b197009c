/**
 * Whether the service can be reached from other machines, and whether a secret is good enough for that. Pure.
 * Development conveniences (default secrets, the simulator) are allowed only while nothing but this machine can
 * reach the service; `config.ts` refuses them otherwise.
 */

/** True for names and addresses that only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export interface ExposureFacts {
  production: boolean;
  host: string;
  adminHost: string | null;
  publicBaseUrl: string | undefined;
  monoSecretKey: string | undefined;
}

/** Why the service counts as reachable from other machines (empty: this machine only). */
export function exposureReasons(f: ExposureFacts): string[] {
  const reasons: string[] = [];
  if (f.production) reasons.push('NODE_ENV=production');
  if (!isLoopbackHost(f.host)) reasons.push(`HOST=${f.host} (other machines can connect)`);
  if (f.adminHost !== null && !isLoopbackHost(f.adminHost)) reasons.push(`ADMIN_ADDRESS on ${f.adminHost}`);
  if (f.publicBaseUrl) {
    const host = safeHost(f.publicBaseUrl);
    if (host !== null && !isLoopbackHost(host) && !isReservedForTesting(host)) {
      reasons.push(`PUBLIC_BASE_URL points at ${host}`);
    }
  }
  if (f.monoSecretKey?.startsWith('live_')) reasons.push('MONO_SECRET_KEY is a live key');
  return reasons;
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

function safeHost(url: string): string | null {
  try {
    return new URL(url).hostname;
  } catch {
    return null;
  }
}
