/** The AES-256-GCM payload codec and its key handling (src/temporal/codec.ts). */
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import {
  AesGcmCodec,
  CodecKeyError,
  ENCRYPTED_ENCODING,
  generateCodecKeyEntry,
  KEY_ID_METADATA,
  loadOrCreateDevCodecKey,
  parseCodecKeys,
  PayloadDecryptionError,
} from '../../src/temporal/codec.js';

const text = (bytes: Uint8Array | null | undefined) => new TextDecoder().decode(bytes ?? new Uint8Array());
const keyA = parseCodecKeys(generateCodecKeyEntry('a'))[0]!;
const keyB = parseCodecKeys(generateCodecKeyEntry('b'))[0]!;
const CONTACT = { email: 'owner-123@example.com', timeZone: 'Africa/Lagos' };
const plain = (): Payload => defaultPayloadConverter.toPayload(CONTACT);

describe('AesGcmCodec', () => {
  it('round-trips a payload, metadata included, and stores nothing readable', async () => {
    const codec = new AesGcmCodec([keyA]);
    const [sealed] = await codec.encode([plain()]);
    expect(text(sealed!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(sealed!.metadata![KEY_ID_METADATA])).toBe('a');
    expect(Object.keys(sealed!.metadata!).sort()).toEqual(['encoding', KEY_ID_METADATA].sort());
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('owner-123');
    expect(Buffer.from(sealed!.data!).toString('latin1')).not.toContain('json/plain');
    const [opened] = await codec.decode([sealed!]);
    expect(text(opened!.metadata!.encoding)).toBe('json/plain');
    expect(defaultPayloadConverter.fromPayload(opened!)).toEqual(CONTACT);
  });

  it('uses a fresh nonce for every payload (same input, different ciphertext)', async () => {
    const codec = new AesGcmCodec([keyA]);
    const sealed = await codec.encode([plain(), plain()]);
    expect(Buffer.from(sealed[0]!.data!).equals(Buffer.from(sealed[1]!.data!))).toBe(false);
    expect(Buffer.from(sealed[0]!.data!).subarray(0, 12).equals(Buffer.from(sealed[1]!.data!).subarray(0, 12))).toBe(
      false
    );
  });

  it('round-trips empty and binary payloads, and an empty list', async () => {
    const codec = new AesGcmCodec([keyA]);
    expect(await codec.encode([])).toEqual([]);
    const inputs = [
      defaultPayloadConverter.toPayload(undefined),
      defaultPayloadConverter.toPayload(new Uint8Array([0, 1, 255])),
    ];
    const opened = await codec.decode(await codec.encode(inputs));
    expect(defaultPayloadConverter.fromPayload(opened[0]!)).toBeUndefined();
    expect([...defaultPayloadConverter.fromPayload<Uint8Array>(opened[1]!)]).toEqual([0, 1, 255]);
  });

  it('detects tampering with the data, the tag, the nonce or the key id', async () => {
    const codec = new AesGcmCodec([keyA, keyB]);
    const [sealed] = await codec.encode([plain()]);
    const flip = (at: number): Payload => {
      const data = Uint8Array.from(sealed!.data!);
      data[at < 0 ? data.length + at : at]! ^= 1;
      return { ...sealed!, data };
    };
    for (const at of [0, 12, 20, -1]) {
      await expect(codec.decode([flip(at)])).rejects.toThrow(PayloadDecryptionError);
    }
    // Relabelled with the other configured key's id: the key id is authenticated, so it fails too.
    const relabelled = {
      ...sealed!,
      metadata: { ...sealed!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode('b') },
    };
    await expect(codec.decode([relabelled])).rejects.toThrow(/\(key "b"\) failed authentication/);
    await expect(codec.decode([{ ...sealed!, data: new Uint8Array(10) }])).rejects.toThrow(/too short/);
  });

  it('rotation: the first key encrypts, older keys still decrypt; a removed key is named, not guessed', async () => {
    const [old] = await new AesGcmCodec([keyA]).encode([plain()]);
    const rotated = new AesGcmCodec([keyB, keyA]);
    expect(rotated.encryptionKeyId).toBe('b');
    const [fresh] = await rotated.encode([plain()]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('b');
    const opened = await rotated.decode([old!, fresh!]);
    expect(opened.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([CONTACT, CONTACT]);
    await expect(new AesGcmCodec([keyB]).decode([old!])).rejects.toThrow(/key "a", which is not among the configured/);
  });

  it('passes payloads without encryption metadata through on decode (histories written before the codec)', async () => {
    const codec = new AesGcmCodec([keyA]);
    const before = [plain(), defaultPayloadConverter.toPayload(null), { metadata: {}, data: new Uint8Array([1]) }];
    expect(await codec.decode(before)).toEqual(before);
  });

  it('refuses an encrypted payload without a key id', async () => {
    const [sealed] = await new AesGcmCodec([keyA]).encode([plain()]);
    const metadata = { ...sealed!.metadata! };
    delete metadata[KEY_ID_METADATA];
    await expect(new AesGcmCodec([keyA]).decode([{ ...sealed!, metadata }])).rejects.toThrow(
      /without "encryption-key-id"/
    );
  });

  it('refuses no keys, short keys and duplicate ids', () => {
    expect(() => new AesGcmCodec([])).toThrow(CodecKeyError);
    expect(() => new AesGcmCodec([{ id: 'a', key: new Uint8Array(16) }])).toThrow(/must be 32 bytes, got 16/);
    expect(() => new AesGcmCodec([keyA, { ...keyB, id: 'a' }])).toThrow(/used twice/);
  });
});

describe('parseCodecKeys', () => {
  const k32 = Buffer.alloc(32, 7).toString('base64');
  it('reads id:base64key lists in order, tolerating spaces and URL-safe base64', () => {
    const urlSafe = Buffer.alloc(32, 0xfb).toString('base64url');
    const keys = parseCodecKeys(` new:${k32} , old:${urlSafe}`);
    expect(keys.map((k) => k.id)).toEqual(['new', 'old']);
    expect(Buffer.from(keys[0]!.key).equals(Buffer.alloc(32, 7))).toBe(true);
    expect(Buffer.from(keys[1]!.key).equals(Buffer.alloc(32, 0xfb))).toBe(true);
  });

  it.each([
    ['', /is empty/],
    [' , ', /is empty/],
    [k32, /entry 1 is not of the form id:base64key/],
    [`a:${k32},${k32}`, /entry 2 is not of the form/],
    [`:${k32}`, /entry 1: the key id must be/],
    [`bad id:${k32}`, /entry 1: the key id must be/],
    [`a:${Buffer.alloc(16, 1).toString('base64')}`, /entry 1 \("a"\): the key must be 32 bytes .* got 16 bytes/],
    [`a:${Buffer.alloc(33, 1).toString('base64')}`, /got 33 bytes/],
    ['a:not base64!!', /entry 1 \("a"\): the key is not base64/],
    [`a:${k32},a:${k32}`, /the key id "a" is used twice/],
  ])('refuses %j with a clear error', (input, message) => {
    expect(() => parseCodecKeys(input)).toThrow(CodecKeyError);
    expect(() => parseCodecKeys(input)).toThrow(message);
  });

  it('never echoes key material in its errors', () => {
    const secretish = Buffer.alloc(31, 0x42).toString('base64');
    for (const input of [secretish, `a:${secretish}`, `a:${secretish}!`, `${secretish}:${k32}`]) {
      try {
        parseCodecKeys(input);
        expect.unreachable();
      } catch (err) {
        expect((err as Error).message).not.toContain(secretish);
        expect((err as Error).message).not.toContain(secretish.slice(0, 12));
      }
    }
  });
});

describe('loadOrCreateDevCodecKey', () => {
  it('makes a key on first start, keeps it (mode 0600), and returns the same key afterwards', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'codec-dev-')), '.data');
    const first = loadOrCreateDevCodecKey(dir);
    expect(first.created).toBe(true);
    expect(statSync(first.file).mode & 0o777).toBe(0o600);
    expect(first.keys).toHaveLength(1);
    expect(first.keys[0]!.key.byteLength).toBe(32);
    const again = loadOrCreateDevCodecKey(dir);
    expect(again.created).toBe(false);
    expect(again.keys).toEqual(first.keys);
    // The file is in TEMPORAL_CODEC_KEYS format, so it can be copied into configuration as is.
    expect(parseCodecKeys(readFileSync(first.file, 'utf8'))).toEqual(first.keys);
  });

  it('tightens a key file that others can read, and refuses a corrupt one without echoing it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-dev-'));
    const { file } = loadOrCreateDevCodecKey(dir);
    chmodSync(file, 0o644);
    loadOrCreateDevCodecKey(dir);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    writeFileSync(file, 'dev:c2hvcnQ=\n');
    expect(() => loadOrCreateDevCodecKey(dir)).toThrow(/entry 1 \("dev"\): the key must be 32 bytes/);
    expect(() => loadOrCreateDevCodecKey(dir)).not.toThrow(/c2hvcnQ/);
  });
});
