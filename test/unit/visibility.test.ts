import type { Connection } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import {
  decodePageToken,
  encodePageToken,
  InvalidPageToken,
  listExecutions,
  listExecutionsPage,
} from '../../src/temporal/visibility.js';

const cursor = Buffer.from([0, 1, 2, 0xfb, 0xff, 0xfe, 0x3e, 0x3f, ...Buffer.from('{"lastStartTime":1}')]);

const changeCharacter = (token: string, at: number): string =>
  token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);

/** A connection whose visibility serves `pages` in turn (Temporal's cursor of page i is the byte i). */
function fakeVisibility(pages: string[][]) {
  const requests: Array<{ query: string; pageSize: number; nextPageToken?: Uint8Array }> = [];
  const connection = {
    withDeadline: <T>(_deadline: number, fn: () => Promise<T>) => fn(),
    workflowService: {
      listWorkflowExecutions(request: (typeof requests)[number]) {
        requests.push(request);
        const index = request.nextPageToken ? request.nextPageToken[0]! : 0;
        const next = index + 1 < pages.length ? Buffer.from([index + 1]) : Buffer.alloc(0);
        const executions = pages[index]!.map((workflowId) => ({ execution: { workflowId } }));
        return Promise.resolve({ executions, nextPageToken: next });
      },
    },
  } as unknown as Connection;
  return { target: { connection, namespace: 'default', timeoutMs: 1_000 }, requests };
}

describe('visibility page tokens', () => {
  it('round-trip Temporal cursor as a URL-safe string', () => {
    const token = encodePageToken(cursor);
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodePageToken(token).equals(cursor)).toBe(true);
  });

  it.each([
    { what: 'garbage', token: () => 'garbage-token' },
    { what: 'too short to hold a checksum', token: () => 'AAAA' },
    { what: 'truncated', token: () => encodePageToken(cursor).slice(0, -3) },
    { what: 'with a character of its checksum changed', token: () => changeCharacter(encodePageToken(cursor), 3) },
    { what: 'with a character of its cursor changed', token: () => changeCharacter(encodePageToken(cursor), 10) },
    { what: 'plain base64 of the cursor', token: () => cursor.toString('base64') },
  ])('refuse a token $what with the clear error', ({ token }) => {
    expect(() => decodePageToken(token())).toThrow(InvalidPageToken);
    expect(() => decodePageToken(token())).toThrow(/pageToken is not one this service issued/);
  });
});

describe('listExecutionsPage and listExecutions', () => {
  it('hand Temporal the cursor behind the token and a token for the next page, null on the last', async () => {
    const { target, requests } = fakeVisibility([['a', 'b'], ['c']]);
    const first = await listExecutionsPage(target, 'q', { pageSize: 2 });
    expect(first.executions.map((e) => e.execution?.workflowId)).toEqual(['a', 'b']);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = await listExecutionsPage(target, 'q', { pageSize: 2, pageToken: first.nextPageToken });
    expect(second).toEqual({ executions: [{ execution: { workflowId: 'c' } }], nextPageToken: null });
    expect(requests.map((r) => r.nextPageToken && [...r.nextPageToken])).toEqual([undefined, [1]]);
  });

  it('refuses a garbled token before asking Temporal', async () => {
    const { target, requests } = fakeVisibility([['a']]);
    await expect(listExecutionsPage(target, 'q', { pageSize: 2, pageToken: 'garbage-token' })).rejects.toThrow(
      InvalidPageToken
    );
    expect(requests).toHaveLength(0);
  });

  it('pages through every execution', async () => {
    const { target } = fakeVisibility([['a', 'b'], ['c', 'd'], ['e']]);
    const ids: string[] = [];
    for await (const e of listExecutions(target, 'q', 2)) ids.push(e.execution!.workflowId!);
    expect(ids).toEqual(['a', 'b', 'c', 'd', 'e']);
  });
});
