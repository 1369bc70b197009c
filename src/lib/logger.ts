/**
 * Structured JSON logs (pino). Keys that could carry PII or secrets are redacted up to five levels deep,
 * as a second line of defence: code never logs payloads or headers in the first place.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const SENSITIVE_KEYS = [
  'name',
  'accountNumber',
  'account_number',
  'bvn',
  'balance',
  'authorization',
  'secret',
  'token',
  'headers',
  '"mono-webhook-secret"',
  '"mono-sec-key"',
];
// pino's wildcards match one level each: cover the key at the top and up to four levels down.
const REDACTED_PATHS = SENSITIVE_KEYS.flatMap((key) =>
  ['', '*.', '*.*.', '*.*.*.', '*.*.*.*.'].map((prefix) =>
    key.startsWith('"') ? `${prefix}[${key}]` : `${prefix}${key}`
  )
);

/** Creates the service logger. `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mono-reauth' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Asynchronous writes to stdout: lines written while one write is in flight go out together, instead of a
    // blocking syscall per line under load. pino flushes what is pending when the process exits.
    destination ?? pino.destination({ dest: 1, sync: false })
  );
}
