/**
 * Structured JSON logs (pino). Keys that could carry PII or secrets are redacted at any depth, as a second line of
 * defence: code never logs payloads or headers in the first place.
 *
 * Redaction is one walk over what a line logs (its fields, a child logger's bindings, the serialized `err`, and
 * objects interpolated into the message), instead of pino's `redact` paths: those match one level per wildcard, so
 * covering five levels took 55 paths tried on every line. The walk copies nothing unless it censors something, so a
 * flat line of plain values costs one look-up per key.
 */
import { isValidTraceId, trace } from '@opentelemetry/api';
import { pino, type Bindings, type ChildLoggerOptions, type Logger } from 'pino';

export type { Logger };

const REDACTED = '[redacted]';

const SENSITIVE_KEYS: ReadonlySet<string> = new Set([
  'name',
  'accountNumber',
  'account_number',
  'bvn',
  'balance',
  'authorization',
  'secret',
  'token',
  'headers',
  'mono-webhook-secret',
  'mono-sec-key',
]);

/** Objects nested deeper than this are censored whole rather than walked (no log line nests this deep). */
const MAX_DEPTH = 64;
const ERROR_KEY = 'err';
const hasOwn = (object: object, key: string): boolean => Object.prototype.hasOwnProperty.call(object, key);

/**
 * `value` with every sensitive key, at any depth, censored: the same value when nothing needed censoring, else a copy
 * (objects and arrays on the way to a censored key are copied; nothing logged is ever modified). Walks what
 * `JSON.stringify` writes: own enumerable keys, array items, and what `toJSON` returns. Censored whole if a getter or
 * `toJSON` throws (JSON.stringify would fail on it too).
 */
function redactSensitive(value: unknown): unknown {
  try {
    return redactValue(value, 0, []);
  } catch {
    return REDACTED;
  }
}

function redactValue(value: unknown, depth: number, ancestors: object[]): unknown {
  if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return value;
  if (depth >= MAX_DEPTH) return REDACTED;
  // A cycle: pino would print it as "[Circular]". Said here, so no copy can lead back to the uncensored original.
  if (ancestors.includes(value)) return '[Circular]';
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const json: unknown = toJSON.call(value);
    if (json !== value) {
      const redacted = redactValue(json, depth, ancestors);
      return redacted === json ? value : redacted;
    }
  }
  ancestors.push(value);
  try {
    return Array.isArray(value) ? redactArray(value, depth, ancestors) : redactObject(value, depth, ancestors);
  } finally {
    ancestors.pop();
  }
}

function redactArray(items: readonly unknown[], depth: number, ancestors: object[]): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const redacted = redactValue(item, depth + 1, ancestors);
    if (redacted !== item) {
      copy ??= items.slice();
      copy[i] = redacted;
    }
  }
  return copy ?? (items as unknown[]);
}

/** `topLevel`: a line's own fields, where pino leaves out undefined values (below, a present key is censored). */
function redactObject(object: object, depth: number, ancestors: object[], topLevel = false): object {
  const fields = object as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key in fields) {
    if (!hasOwn(fields, key) || (topLevel && key === ERROR_KEY)) continue;
    const field = fields[key];
    const redacted =
      topLevel && field === undefined
        ? field
        : SENSITIVE_KEYS.has(key)
          ? REDACTED
          : redactValue(field, depth + 1, ancestors);
    if (redacted !== field) {
      copy ??= { ...fields };
      copy[key] = redacted;
    }
  }
  return copy ?? object;
}

/**
 * A line's fields or a logger's bindings, redacted. Top-level `err` is left to the `err` serializer below, which
 * redacts what pino makes of the error (walking an Error here would lose its message and stack).
 */
function redactFields<T extends object>(fields: T): T {
  try {
    return redactObject(fields, 0, [fields], true) as T;
  } catch {
    // A getter or toJSON that throws: JSON.stringify would fail on it too. Log that, not the fields.
    return { redaction: 'failed: fields left out' } as unknown as T;
  }
}

function redactedError(err: unknown): unknown {
  try {
    return redactSensitive(pino.stdSerializers.err(err as Error));
  } catch {
    return REDACTED;
  }
}

type ChildFn = (this: Logger, bindings: Bindings, options?: ChildLoggerOptions) => Logger;
type SetBindingsFn = (this: Logger, bindings: Bindings) => void;

/** Children inherit these from the root logger: their bindings are redacted before pino serializes them. */
function redactBindingsOf(logger: Logger): void {
  const methods = logger as unknown as { child: ChildFn; setBindings: SetBindingsFn };
  const { child, setBindings } = methods;
  methods.child = function redactedChild(bindings, options) {
    return child.call(this, redactFields(bindings), options);
  };
  methods.setBindings = function redactedSetBindings(bindings) {
    setBindings.call(this, redactFields(bindings));
  };
}

/** The trace and span of the active span, when there is one (tracing on, inside a traced request or activity). */
function traceIds(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return isValidTraceId(traceId) ? { trace_id: traceId, span_id: spanId } : {};
}

/** Creates the service logger. `destination` lets tests capture lines. */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  const logger = pino(
    {
      level,
      base: { service: 'mono-reauth' },
      // The level by name ("info"), as log tools expect, and the active trace on every line (src/lib/tracing.ts).
      formatters: { level: (label) => ({ level: label }), log: redactFields, bindings: redactFields },
      mixin: traceIds,
      serializers: { [ERROR_KEY]: redactedError },
      hooks: {
        // Objects interpolated into the message (`log.info('%o', x)`); the common calls have no such arguments.
        logMethod(args, method) {
          for (let i = typeof args[0] === 'object' ? 2 : 1; i < args.length; i++) {
            args[i] = redactSensitive(args[i]);
          }
          method.apply(this, args);
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    // Asynchronous writes to stdout: lines written while one write is in flight go out together, instead of a
    // blocking syscall per line under load. pino flushes what is pending when the process exits.
    destination ?? pino.destination({ dest: 1, sync: false })
  );
  redactBindingsOf(logger);
  return logger;
}
