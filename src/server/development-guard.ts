/**
 * The request guard of development mode. Its conveniences (the published admin token and webhook secret, the codec
 * endpoint open to the dev server's UI without a token) are safe only for requests made on this machine and
 * addressed to it. A request whose Host is not loopback (a web page that reached the listener by DNS rebinding) or
 * that carries forwarding headers (a same-host proxy, tunnel or sidecar that makes the listener public) gets
 * 421 Misdirected Request before any route sees it.
 */
import type { RequestHandler } from 'express';
import { isLoopbackHost } from '../lib/exposure.js';

/** Headers a proxy adds; none of them has any business reaching a development listener. */
const FORWARDING_HEADERS = ['forwarded', 'x-forwarded-for', 'x-forwarded-host', 'x-real-ip'] as const;

const TO_SERVE_OTHERS = 'to serve other machines, configure the service for it (README, Deploying)';

export function developmentGuard(): RequestHandler {
  return (req, res, next) => {
    const forwarding = FORWARDING_HEADERS.find((name) => req.headers[name] !== undefined);
    if (forwarding !== undefined) {
      res.status(421).json({
        error: `this development instance does not answer requests forwarded by a proxy (${forwarding}); ${TO_SERVE_OTHERS}`,
      });
      return;
    }
    if (!isLoopbackHost(hostnameOf(req.headers.host ?? ''))) {
      res.status(421).json({
        error: `this development instance answers only requests addressed to localhost, 127.0.0.1 or [::1]; ${TO_SERVE_OTHERS}`,
      });
      return;
    }
    next();
  };
}

/** The name in a Host header, without the port: `localhost:3000` → `localhost`, `[::1]:3000` → `[::1]`. */
export function hostnameOf(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}
