/**
 * Encryption of everything Temporal stores (docs/payload-encryption.md): an AES-256-GCM `PayloadCodec`.
 *
 *   const keys = parseCodecKeys(process.env.TEMPORAL_CODEC_KEYS)        // or loadOrCreateDevCodecKey('.data')
 *   const codec = new AesGcmCodec(keys)                                 // first key encrypts, every key decrypts
 *
 * Each payload (metadata and data, serialised as a `temporal.api.common.v1.Payload`) is sealed with a fresh
 * 12-byte nonce under the first key; the result is `nonce ‖ ciphertext ‖ 16-byte tag`, with the metadata
 * `encoding: binary/encrypted` and `encryption-key-id: <id>` (the id is also the GCM additional data, so the
 * ciphertext cannot be relabelled). Decoding picks the key by that id. Payloads without the encrypted encoding
 * (written before the codec was turned on) pass through unchanged, so old histories keep working.
 *
 * `TEMPORAL_CODEC_KEYS` format: `id:base64key[,id:base64key...]`, each key exactly 32 bytes (standard or URL-safe
 * base64, e.g. `openssl rand -base64 32`), ids of 1-64 characters from `A-Za-z0-9._-`. Errors name the entry and
 * the problem, never the key material.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Payload, PayloadCodec } from '@temporalio/common';
import proto from '@temporalio/proto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
/** The development key file under the data directory (same format as TEMPORAL_CODEC_KEYS). */
export const DEV_KEY_FILE = 'temporal-codec-keys';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;
const ProtoPayload = proto.temporal.api.common.v1.Payload;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface CodecKey {
  /** Stored in every payload's metadata; not secret. */
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

/** A configuration problem with the keys; the message never contains key material. */
export class CodecKeyError extends Error {
  override name = 'CodecKeyError';
}

/** An encrypted payload that cannot be opened: unknown key id, or the data or tag was changed. */
export class PayloadDecryptionError extends Error {
  override name = 'PayloadDecryptionError';
}

export class AesGcmCodec implements PayloadCodec {
  private readonly encryptWith: CodecKey;
  private readonly byId: Map<string, Uint8Array>;

  constructor(keys: readonly CodecKey[]) {
    validateKeys(keys);
    this.encryptWith = keys[0]!;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key new payloads are encrypted with. */
  get encryptionKeyId(): string {
    return this.encryptWith.id;
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- errors must reject, not throw synchronously
  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encrypt(p));
  }

  // eslint-disable-next-line @typescript-eslint/require-await -- errors must reject, not throw synchronously
  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decrypt(p));
  }

  /** True when the payload carries this codec's encoding (whatever key it names). */
  static isEncrypted(payload: Payload): boolean {
    const encoding = payload.metadata?.encoding;
    return encoding !== undefined && encoding !== null && decoder.decode(encoding) === ENCRYPTED_ENCODING;
  }

  private encrypt(payload: Payload): Payload {
    const { id, key } = this.encryptWith;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(encoder.encode(id));
    const plain = ProtoPayload.encode(payload).finish();
    const sealed = Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
    return {
      metadata: { encoding: encoder.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: encoder.encode(id) },
      data: new Uint8Array(sealed.buffer, sealed.byteOffset, sealed.byteLength),
    };
  }

  private decrypt(payload: Payload): Payload {
    if (!AesGcmCodec.isEncrypted(payload)) return payload;
    const rawId = payload.metadata?.[KEY_ID_METADATA];
    if (!rawId) throw new PayloadDecryptionError(`encrypted payload without "${KEY_ID_METADATA}" metadata`);
    const id = decoder.decode(rawId);
    const key = this.byId.get(id);
    if (!key) {
      const shown = KEY_ID_PATTERN.test(id) ? `"${id}"` : '(not a valid key id)';
      throw new PayloadDecryptionError(
        `payload encrypted with key ${shown}, which is not among the configured keys (TEMPORAL_CODEC_KEYS)`
      );
    }
    const data = payload.data ?? new Uint8Array();
    if (data.byteLength < NONCE_BYTES + TAG_BYTES) {
      throw new PayloadDecryptionError(`encrypted payload (key "${id}") is too short to be valid`);
    }
    try {
      const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
      const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, NONCE_BYTES)).setAAD(rawId);
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = Buffer.concat([
        decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]);
      return ProtoPayload.decode(plain);
    } catch {
      throw new PayloadDecryptionError(
        `encrypted payload (key "${id}") failed authentication: it was altered, or the key is not the one it was written with`
      );
    }
  }
}

function validateKeys(keys: readonly CodecKey[]): void {
  if (keys.length === 0) throw new CodecKeyError('no codec keys: at least one key is needed to encrypt');
  const seen = new Set<string>();
  keys.forEach(({ id, key }, i) => {
    if (!KEY_ID_PATTERN.test(id)) throw new CodecKeyError(`key ${i + 1}: the id must be 1-64 of A-Za-z0-9._-`);
    if (seen.has(id)) throw new CodecKeyError(`key ${i + 1}: the id "${id}" is used twice`);
    seen.add(id);
    if (key.byteLength !== KEY_BYTES) {
      throw new CodecKeyError(`key ${i + 1} ("${id}"): must be ${KEY_BYTES} bytes, got ${key.byteLength}`);
    }
  });
}

/**
 * Parses `TEMPORAL_CODEC_KEYS` (`id:base64key[,id:base64key...]`, whitespace around entries ignored). The first
 * key encrypts, all decrypt. Throws CodecKeyError naming the entry and the problem (never the key material).
 */
export function parseCodecKeys(text: string | undefined, name = 'TEMPORAL_CODEC_KEYS'): CodecKey[] {
  const entries = (text ?? '')
    .split(/[,\n]/)
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) {
    throw new CodecKeyError(`${name} is empty: give id:base64key entries, e.g. k2026a:<32 bytes in base64>`);
  }
  const keys = entries.map((entry, i): CodecKey => {
    const where = `${name} entry ${i + 1}`;
    const colon = entry.indexOf(':');
    if (colon < 0) throw new CodecKeyError(`${where} is not of the form id:base64key`);
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    if (!KEY_ID_PATTERN.test(id)) {
      throw new CodecKeyError(`${where}: the key id must be 1-64 characters from A-Za-z0-9._-`);
    }
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
      throw new CodecKeyError(`${where} ("${id}"): the key is not base64`);
    }
    const key = Buffer.from(encoded.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.byteLength !== KEY_BYTES) {
      throw new CodecKeyError(
        `${where} ("${id}"): the key must be ${KEY_BYTES} bytes (44 base64 characters), got ${key.byteLength} bytes`
      );
    }
    return { id, key: new Uint8Array(key) };
  });
  const ids = keys.map((k) => k.id);
  const twice = ids.find((id, i) => ids.indexOf(id) !== i);
  if (twice !== undefined) throw new CodecKeyError(`${name}: the key id "${twice}" is used twice`);
  return keys;
}

/**
 * SHA-256 of keys published in this repository, which must never protect real data: the key of the recorded
 * encrypted histories (test/replay/codec-fixture.ts), which the test stacks use too.
 */
const PUBLISHED_KEY_FINGERPRINTS = new Set(['d5752f452583e805428683f48590f8ebad2040a62b7d73958957dc8d1bf3a7ce']);
/** 32 random bytes have about 30 distinct values; fewer than this is a pattern, not a key. */
const MIN_DISTINCT_KEY_BYTES = 16;

/** True for a key published in this repository (a test fixture): fine for tests, refused outside development. */
export function isPublishedCodecKey(key: Uint8Array): boolean {
  return PUBLISHED_KEY_FINGERPRINTS.has(createHash('sha256').update(key).digest('hex'));
}

/**
 * Why `key` cannot be 32 random bytes (a repeated pattern, or text such as a passphrase), or undefined. The message
 * never contains key material.
 */
export function weakCodecKeyProblem(key: Uint8Array): string | undefined {
  if (new Set(key).size < MIN_DISTINCT_KEY_BYTES) {
    return 'has too few distinct bytes to be random; make one with openssl rand -base64 32';
  }
  if (key.every((byte) => byte >= 0x20 && byte <= 0x7e)) {
    return 'is text, not random bytes; make one with openssl rand -base64 32';
  }
  return undefined;
}

/** A new random key, written as one `TEMPORAL_CODEC_KEYS` entry. */
export function generateCodecKeyEntry(id: string): string {
  if (!KEY_ID_PATTERN.test(id)) throw new CodecKeyError('the key id must be 1-64 characters from A-Za-z0-9._-');
  return `${id}:${randomBytes(KEY_BYTES).toString('base64')}`;
}

/**
 * Development only: the keys kept in `<dataDir>/temporal-codec-keys` (mode 0600), made with one random key on
 * first start, so histories in the dev server's SQLite file stay readable across restarts. Never use this for
 * a deployed service: there the keys come from TEMPORAL_CODEC_KEYS.
 */
export function loadOrCreateDevCodecKey(dataDir: string): { keys: CodecKey[]; file: string; created: boolean } {
  const file = join(dataDir, DEV_KEY_FILE);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let created = false;
  try {
    const entry = generateCodecKeyEntry(`dev-${randomBytes(4).toString('hex')}`);
    // `wx`: never overwrite a key another process made first (the keys of existing histories).
    writeFileSync(file, `${entry}\n`, { mode: 0o600, flag: 'wx' });
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  if ((statSync(file).mode & 0o077) !== 0) chmodSync(file, 0o600);
  return { keys: parseCodecKeys(readFileSync(file, 'utf8'), file), file, created };
}
