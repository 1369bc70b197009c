/**
 * The search attributes must exist in the namespace before any account workflow runs: without them every
 * workflow task that upserts them fails, account after account. Checked once at start-up, with the commands that
 * create them in the error.
 */
import type { Connection } from '@temporalio/client';
import proto from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_FLAGS } from '../workflows/account-lifecycle/api/search-attributes.js';
import { grpcStatusOf } from './grpc-status.js';

// A CommonJS package: Node's ESM loader gives it as a default export only.
const INDEXED = proto.temporal.api.enums.v1.IndexedValueType;
const TYPE_OF: Record<string, number> = {
  Keyword: INDEXED.INDEXED_VALUE_TYPE_KEYWORD,
  Bool: INDEXED.INDEXED_VALUE_TYPE_BOOL,
  Datetime: INDEXED.INDEXED_VALUE_TYPE_DATETIME,
  Int: INDEXED.INDEXED_VALUE_TYPE_INT,
  KeywordList: INDEXED.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

/** Thrown when search attributes are missing or of the wrong type; the message has the commands to fix it. */
export class MissingSearchAttributes extends Error {
  override name = 'MissingSearchAttributes';
}

/** Which of the attributes are missing (or of another type), by `Name=Type`. */
export async function missingSearchAttributes(
  connection: Connection,
  namespace: string,
  timeoutMs = 10_000
): Promise<string[]> {
  try {
    const res = await connection.withDeadline(Date.now() + timeoutMs, () =>
      connection.operatorService.listSearchAttributes({ namespace })
    );
    const custom = res.customAttributes ?? {};
    return SEARCH_ATTRIBUTE_FLAGS.filter((flag) => {
      const [name, type] = flag.split('=') as [string, string];
      return custom[name] !== TYPE_OF[type];
    });
  } catch (err) {
    // Temporal Cloud does not let every key use the operator service: ask visibility instead.
    const code = grpcStatusOf(err);
    if (code !== 7 && code !== 12 && code !== 16) throw err;
    return missingByQuery(connection, namespace, timeoutMs);
  }
}

async function missingByQuery(connection: Connection, namespace: string, timeoutMs: number): Promise<string[]> {
  const probes: Record<string, string> = {
    MonoAccountState: `MonoAccountState = 'x'`,
    MonoInstitution: `MonoInstitution = 'x'`,
    MonoEscalated: `MonoEscalated = true`,
    MonoStateSince: `MonoStateSince > '2000-01-01T00:00:00Z'`,
    MonoUndelivered: `MonoUndelivered = true`,
    MonoLastHeard: `MonoLastHeard > '2000-01-01T00:00:00Z'`,
    MonoReauthorisedAt: `MonoReauthorisedAt > '2000-01-01T00:00:00Z'`,
    MonoReauthSeconds: `MonoReauthSeconds > 0`,
    MonoReauthChannels: `MonoReauthChannels = 'x'`,
  };
  const missing: string[] = [];
  for (const flag of SEARCH_ATTRIBUTE_FLAGS) {
    const name = flag.split('=')[0]!;
    try {
      await connection.withDeadline(Date.now() + timeoutMs, () =>
        connection.workflowService.countWorkflowExecutions({ namespace, query: probes[name] })
      );
    } catch (err) {
      if (grpcStatusOf(err) === 3) missing.push(flag);
      else throw err;
    }
  }
  return missing;
}

/** Throws MissingSearchAttributes, with the commands for a self-hosted cluster and for Temporal Cloud, if any is missing. */
export async function requireSearchAttributes(connection: Connection, namespace: string): Promise<void> {
  const missing = await missingSearchAttributes(connection, namespace);
  if (missing.length === 0) return;
  const selfHosted = missing.map((flag) => {
    const [name, type] = flag.split('=');
    return `  temporal operator search-attribute create --namespace ${namespace} --name ${name} --type ${type}`;
  });
  const cloud = `  tcld namespace search-attributes add --namespace ${namespace} ${missing
    .map((flag) => `--search-attribute "${flag}"`)
    .join(' ')}`;
  throw new MissingSearchAttributes(
    `namespace ${namespace} lacks the search attributes ${missing.join(', ')}; every account workflow would fail ` +
      `until they exist. Create them, then start again:\n` +
      `On a self-hosted cluster:\n${selfHosted.join('\n')}\nOn Temporal Cloud:\n${cloud}`
  );
}
