/** Entry point of the workflow bundle (the worker's `workflowsPath`). Sandbox code only. */
export { accountLifecycle } from './account-lifecycle/workflow.js';
export { moveAccountsToCurrentBuild } from './build-sweep.js';
export { reconcileAccounts } from './reconcile.js';
export { importAccountsJob, redeliverNoticesJob } from './jobs.js';
export { phoneOptOut } from './phone-opt-out.js';
export { checkIncidents, institutionIncident } from './incidents.js';
