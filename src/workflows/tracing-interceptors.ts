/**
 * Tracing inside workflows, loaded only by the runs that are traced.
 *
 * The SDK's OpenTelemetry workflow interceptors (`@temporalio/interceptors-opentelemetry`) bring the OpenTelemetry
 * SDK into the workflow sandbox. Their module keeps state of its own (a tracer and a context manager), so it cannot
 * be preloaded and shared between workflows: it is evaluated again for every workflow the worker caches, which
 * cost about 350 KiB of RSS per cached account whether tracing was on or not (docs/performance.md). This module
 * keeps no state, is preloaded, and loads those interceptors into a run only when the run's start, one of its
 * signals or an accepted update carries a trace context. The client's interceptor always adds its header; the
 * header names a `traceparent` only when tracing is on where the call was made. Headers are in the history, so a
 * replay makes the same choice. Queries and update validators never load tracing (neither is in the history).
 */
import { defaultPayloadConverter, type Headers } from '@temporalio/common';
import type {
  ActivityInput,
  ContinueAsNewInput,
  DisposeInput,
  GetLogAttributesInput,
  LocalActivityInput,
  Next,
  QueryInput,
  SignalInput,
  SignalWorkflowInput,
  StartChildWorkflowExecutionInput,
  UpdateInput,
  WorkflowExecuteInput,
  WorkflowInboundCallsInterceptor,
  WorkflowInterceptors,
  WorkflowInternalsInterceptor,
  WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import type * as OpenTelemetryWorkflow from '@temporalio/interceptors-opentelemetry/lib/workflow/index.js';

type OpenTelemetryWorkflowModule = typeof OpenTelemetryWorkflow;

/** The header in which @temporalio/interceptors-opentelemetry carries a trace context. */
const TRACE_HEADER = '_tracer-data';

// A CommonJS require, so that the module is bundled but evaluated only when a run asks for it.
declare const require: (id: string) => unknown;

/** True when `headers` carry a trace context, not just the empty one an untraced client sends. */
export function carriesTraceContext(headers: Headers): boolean {
  const payload = headers[TRACE_HEADER];
  if (payload === undefined) return false;
  try {
    const carrier = defaultPayloadConverter.fromPayload<Record<string, unknown> | null>(payload);
    return typeof carrier?.['traceparent'] === 'string';
  } catch {
    return false;
  }
}

interface Loaded {
  inbound: WorkflowInboundCallsInterceptor;
  outbound: WorkflowOutboundCallsInterceptor;
  internals: WorkflowInternalsInterceptor;
}

/** One run's tracing: nothing until a traced call arrives, then the SDK's interceptors for the rest of the run. */
class RunTracing {
  loaded: Loaded | undefined;

  loadFor(headers: Headers): Loaded | undefined {
    if (this.loaded === undefined && carriesTraceContext(headers)) {
      const otel =
        require('@temporalio/interceptors-opentelemetry/lib/workflow/index.js') as OpenTelemetryWorkflowModule;
      this.loaded = {
        inbound: new otel.OpenTelemetryInboundInterceptor(),
        outbound: new otel.OpenTelemetryOutboundInterceptor(),
        internals: new otel.OpenTelemetryInternalsInterceptor(),
      };
    }
    return this.loaded;
  }
}

function inbound(run: RunTracing): WorkflowInboundCallsInterceptor {
  return {
    execute: (input: WorkflowExecuteInput, next: Next<WorkflowInboundCallsInterceptor, 'execute'>) => {
      const loaded = run.loadFor(input.headers);
      return loaded?.inbound.execute ? loaded.inbound.execute(input, next) : next(input);
    },
    handleSignal: (input: SignalInput, next: Next<WorkflowInboundCallsInterceptor, 'handleSignal'>) => {
      const loaded = run.loadFor(input.headers);
      return loaded?.inbound.handleSignal ? loaded.inbound.handleSignal(input, next) : next(input);
    },
    handleUpdate: (input: UpdateInput, next: Next<WorkflowInboundCallsInterceptor, 'handleUpdate'>) => {
      const loaded = run.loadFor(input.headers);
      return loaded?.inbound.handleUpdate ? loaded.inbound.handleUpdate(input, next) : next(input);
    },
    handleQuery: (input: QueryInput, next: Next<WorkflowInboundCallsInterceptor, 'handleQuery'>) =>
      run.loaded?.inbound.handleQuery?.(input, next) ?? next(input),
  };
}

function outbound(run: RunTracing): WorkflowOutboundCallsInterceptor {
  const out = (): WorkflowOutboundCallsInterceptor | undefined => run.loaded?.outbound;
  return {
    scheduleActivity: (input: ActivityInput, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) =>
      out()?.scheduleActivity?.(input, next) ?? next(input),
    scheduleLocalActivity: (
      input: LocalActivityInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>
    ) => out()?.scheduleLocalActivity?.(input, next) ?? next(input),
    startChildWorkflowExecution: (
      input: StartChildWorkflowExecutionInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'startChildWorkflowExecution'>
    ) => out()?.startChildWorkflowExecution?.(input, next) ?? next(input),
    continueAsNew: (input: ContinueAsNewInput, next: Next<WorkflowOutboundCallsInterceptor, 'continueAsNew'>) =>
      out()?.continueAsNew?.(input, next) ?? next(input),
    signalWorkflow: (input: SignalWorkflowInput, next: Next<WorkflowOutboundCallsInterceptor, 'signalWorkflow'>) =>
      out()?.signalWorkflow?.(input, next) ?? next(input),
    getLogAttributes: (
      input: GetLogAttributesInput,
      next: Next<WorkflowOutboundCallsInterceptor, 'getLogAttributes'>
    ) => out()?.getLogAttributes?.(input, next) ?? next(input),
  };
}

function internals(run: RunTracing): WorkflowInternalsInterceptor {
  return {
    dispose: (input: DisposeInput, next: Next<WorkflowInternalsInterceptor, 'dispose'>) =>
      run.loaded?.internals.dispose ? run.loaded.internals.dispose(input, next) : next(input),
  };
}

export const interceptors = (): WorkflowInterceptors => {
  const run = new RunTracing();
  return { inbound: [inbound(run)], outbound: [outbound(run)], internals: [internals(run)] };
};
