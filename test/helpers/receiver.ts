/** A webhook receiver on a real port: answers `status(accountId)` and records every request. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Hit {
  accountId: string;
  id: string;
  type: string;
  status: number;
  /** When it arrived (ms since the epoch). */
  at: number;
}

export interface Receiver {
  server: Server;
  url: string;
  hits: Hit[];
  close(): Promise<void>;
}

export async function receiver(status: (accountId: string) => number): Promise<Receiver> {
  const hits: Hit[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const body = JSON.parse(raw) as { type: string; data: { accountId: string } };
      const answer = status(body.data.accountId);
      hits.push({
        accountId: body.data.accountId,
        id: String(req.headers['webhook-id']),
        type: body.type,
        status: answer,
        at: Date.now(),
      });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    server,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A Standard Webhooks secret for the tests (24+ bytes). */
export const TEST_WHSEC = `whsec_${Buffer.from('a-32-byte-secret-for-the-tests!!').toString('base64')}`;
