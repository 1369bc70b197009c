/**
 * The re-auth funnel's facts about one account: which of the owner's channels delivered a re-auth prompt while
 * the account waits in `reauth_required`, and, once the owner re-authorised, how long that took. The workflow
 * indexes them (MonoReauthChannels, MonoReauthorisedAt, MonoReauthSeconds) so that the funnel report reads them
 * from visibility. Pure.
 */
import type { NoticeChannel } from './types.js';

/** A stay in `reauth_required` that ended with the owner re-authorising (`reauthorised`). */
export interface ReauthEpisode {
  /** When the account became `reauthorised` (ISO-8601). */
  at: string;
  /** Whole seconds from entering `reauth_required` to `reauthorised`. */
  seconds: number;
  /** The owner's channels that delivered at least one re-auth prompt in that stay, sorted. */
  channels: NoticeChannel[];
}

/** What MonoReauthChannels holds when no owner channel delivered a prompt (an empty list would read as unset). */
export const NO_PROMPT_CHANNEL = 'none';

/** Channels that are not a way of reaching the owner: the service's own log, and the operators' webhook. */
const NOT_OWNER_CHANNELS: readonly string[] = ['log', 'operator_webhook'];

export function isOwnerChannel(channel: NoticeChannel): boolean {
  return !NOT_OWNER_CHANNELS.includes(channel);
}

/** `channels` with `channel` added (once), sorted, so equal sets always read the same. */
export function withPromptChannel(channels: readonly NoticeChannel[], channel: NoticeChannel): NoticeChannel[] {
  return channels.includes(channel) ? [...channels] : [...channels, channel].sort();
}

/** The episode that ends at `nowMs` for an account in `reauth_required` since `sinceIso`. */
export function endedEpisode(sinceIso: string, nowMs: number, channels: readonly NoticeChannel[]): ReauthEpisode {
  const seconds = Math.max(0, Math.round((nowMs - Date.parse(sinceIso)) / 1000));
  return { at: new Date(nowMs).toISOString(), seconds, channels: [...channels].sort() };
}

/** The value indexed as MonoReauthChannels for a set of channels. */
export function indexedChannels(channels: readonly NoticeChannel[]): string[] {
  return channels.length > 0 ? [...channels] : [NO_PROMPT_CHANNEL];
}
