/**
 * The codec key of the recorded encrypted histories (test/replay/histories/*-encrypted-*.json). A test fixture,
 * not a secret: derived from a public string so that anyone can re-record, and never used outside the tests.
 */
import { createHash } from 'node:crypto';
import { parseCodecKeys, type CodecKey } from '../../src/temporal/codec.js';

const FIXTURE_KEY = createHash('sha256').update('mono-reauth replay fixture key, not a secret').digest('base64');

/** In TEMPORAL_CODEC_KEYS format. */
export const REPLAY_CODEC_KEYS_TEXT = `replay-fixture-1:${FIXTURE_KEY}`;
export const REPLAY_CODEC_KEYS: CodecKey[] = parseCodecKeys(REPLAY_CODEC_KEYS_TEXT);

/** Recorded histories written with encrypted payloads carry this in their file name. */
export const ENCRYPTED_MARKER = '-encrypted-';
