/**
 * The sink through which the account workflow reports that an owner re-authorised after a prompt; the worker
 * turns it into the time-to-re-auth histogram (src/lib/metrics.ts). Sinks are not called while a workflow replays,
 * so each re-authorisation is observed once by the worker that first ran it.
 */
import type { Sinks } from '@temporalio/workflow';

export interface FunnelSinks extends Sinks {
  funnel: {
    /** `channels`: the owner's channels that delivered a prompt, sorted (empty: none did). */
    reauthorised(seconds: number, channels: string[]): void;
  };
}
