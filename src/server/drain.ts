/**
 * Draining an HTTP server for a rollout, so that a shutdown drops nothing. While draining, the server still
 * accepts connections and serves every request (a load balancer keeps sending for a while after it is told the
 * process is going), and each answer carries `Connection: close`, so that no kept-alive connection outlives the
 * drain. Then the listener closes: new connections are refused, requests in flight finish, and connections still
 * open after a grace period are closed.
 */
import type { Server, ServerResponse } from 'node:http';

export interface DrainableServer {
  /** From now on every answer, those in flight included, closes its connection. */
  startDraining(): void;
  /** Stops accepting connections; resolves once every connection has ended, cutting them off after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

export function drainable(server: Server): DrainableServer {
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  // Before the application's own listener, so that even an answer written at once carries the header.
  server.prependListener('request', (_req, res: ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
  });
  return {
    startDraining() {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    },
    close(graceMs) {
      return new Promise<void>((resolve) => {
        const cutOff = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(cutOff);
          resolve();
        });
        server.closeIdleConnections();
      });
    },
  };
}
