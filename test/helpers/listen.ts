/** Express apps of a test on real loopback ports, all closed by `closeAll` (call it from afterAll). */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export function testServers() {
  const servers: Server[] = [];
  return {
    /** Listens on 127.0.0.1 and returns the base URL. */
    async listen(app: Express): Promise<string> {
      const server = await new Promise<Server>((resolve) => {
        const s = app.listen(0, '127.0.0.1', () => resolve(s));
      });
      servers.push(server);
      return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    },
    closeAll: () => Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve)))),
  };
}
