/**
 * Visibility queries over accounts, built from validated filters (pure). Values are checked before they
 * reach a query string, so nothing a caller sends can change the query's meaning.
 */
import { z } from 'zod';
import { WORKFLOW_TYPE } from '../workflows/account-lifecycle/api/messages.js';
import { ACCOUNT_STATES } from '../workflows/account-lifecycle/model/types.js';

export const AccountFilter = z.object({
  state: z.enum(ACCOUNT_STATES).optional(),
  escalated: z.boolean().optional(),
  /** Accounts with notices that gave up on a channel (MonoUndelivered). */
  undelivered: z.boolean().optional(),
  institution: z
    .string()
    .regex(/^[\p{L}\p{N} .,&()/-]{1,100}$/u, 'must be an institution name (letters, digits, spaces and .,&()/-)')
    .optional(),
});
export type AccountFilter = z.infer<typeof AccountFilter>;

const TASK_QUEUE = /^[A-Za-z0-9._:-]{1,200}$/;

/**
 * The list filter for the accounts of the service on `taskQueue` (a namespace may hold several). Runs closed by
 * continue-as-new are excluded (their search attributes are the state at the time they rolled over); an unlinked
 * account's completed run is included.
 */
export function accountsQuery(filter: AccountFilter, taskQueue: string): string {
  if (!TASK_QUEUE.test(taskQueue)) throw new Error(`task queue ${JSON.stringify(taskQueue)} cannot be queried`);
  const clauses = [
    `WorkflowType = '${WORKFLOW_TYPE}'`,
    `TaskQueue = '${taskQueue}'`,
    `ExecutionStatus != 'ContinuedAsNew'`,
  ];
  if (filter.state) clauses.push(`MonoAccountState = '${filter.state}'`);
  if (filter.escalated !== undefined) clauses.push(`MonoEscalated = ${String(filter.escalated)}`);
  if (filter.undelivered !== undefined) clauses.push(`MonoUndelivered = ${String(filter.undelivered)}`);
  if (filter.institution) clauses.push(`MonoInstitution = '${filter.institution}'`);
  return clauses.join(' AND ');
}
