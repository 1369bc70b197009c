/**
 * Structured JSON logs (pino). Paths that could carry PII or secrets are redacted wherever they appear,
 * as a second line of defence: code never logs payloads or headers in the first place.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

const REDACTED_PATHS = [
  'name',
  'accountNumber',
  'account_number',
  'bvn',
  'balance',
  '*.name',
  '*.accountNumber',
  '*.account_number',
  '*.bvn',
  '*.balance',
  'headers',
  'req.headers',
  'authorization',
  'secret',
  '*.secret',
  'token',
  '*.token',
];

/** Creates the service logger. `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: { service: 'mono-reauth' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? process.stdout
  );
}
