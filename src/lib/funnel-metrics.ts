/**
 * The worker's side of the re-auth funnel's sink (src/workflows/account-lifecycle/api/sinks.ts): each owner who
 * re-authorised after a prompt is observed in `mono_reauth_time_to_reauth_seconds`, labelled by the set of channels
 * that delivered the prompts. The set is drawn from the notice channels, so the label stays bounded; the
 * institution, free text from Mono, is left to the funnel report (GET /reports/reauth-funnel).
 */
import type { InjectedSinks } from '@temporalio/worker';
import type { FunnelSinks } from '../workflows/account-lifecycle/api/sinks.js';
import { channelSetLabel } from '../accounts/funnel-summary.js';
import type { Metrics } from './metrics.js';

export function funnelSinks(metrics: Pick<Metrics, 'reauthSeconds'>): InjectedSinks<FunnelSinks> {
  return {
    funnel: {
      reauthorised: {
        fn: (_info, seconds, channels) =>
          metrics.reauthSeconds.observe({ channels: channelSetLabel(channels) }, seconds),
      },
    },
  };
}
