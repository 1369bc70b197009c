/**
 * The re-auth page behind the links in owner notices: `GET /reauth/:accountId?exp=…&kid=…&sig=…`.
 * It checks the signature and expiry first; only then does it look at the account, and for an account that
 * still needs re-authorisation it renders a small page that opens Mono Connect in re-auth mode for the account id
 * (the current widget needs no token). Expired, tampered and already-fixed links get a page saying what to do.
 * Opening it changes nothing, so clicking twice is harmless; the page shows no PII.
 *
 * Hardening: a Content-Security-Policy under which scripts and style elements need the response's nonce (no
 * 'unsafe-inline' for either), no framing (frame-ancestors 'none'), HSTS over https, and views limited per source
 * and per valid link (each view of a valid link asks Temporal), answered 429 with Retry-After past the allowance.
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import express, { type Request, type Response, type Router } from 'express';
import { AccountNotFound, type AccountWorkflows } from '../../accounts/client.js';
import type { LinkCheck, ReauthLinks } from '../../lib/reauth-link.js';
import { ACCOUNT_ID_PATTERN } from '../../workflows/account-lifecycle/api/messages.js';
import { createFailureLimiter, sourceOf, type FailureLimiter } from '../rate-limit.js';

const require = createRequire(import.meta.url);
export const WIDGET_SCRIPT_PATH = '/reauth/assets/connect.js';
const MONO_ORIGINS = 'https://*.mono.co https://*.withmono.com';
const HSTS = 'max-age=31536000';

export interface ReauthPageDeps {
  links: ReauthLinks;
  accounts: Pick<AccountWorkflows, 'show'>;
  /** Mono public key for the widget (`test_pk_…` / `live_pk_…`). */
  monoPublicKey: string;
  /** PUBLIC_BASE_URL is https: HSTS on every page (a request that came over https gets it in any case). */
  https?: boolean;
  /** Page views per source per minute (default 60: carrier-grade NAT puts many owners behind one address). */
  viewsPerSource?: number;
  /** Views of one valid link per minute (default 20). */
  viewsPerLink?: number;
  now?: () => number;
}

/** A minute's allowance of page views per source, and per valid link. */
interface ViewLimits {
  perSource: FailureLimiter;
  perLink: FailureLimiter;
}

/** Renders a page: status, title, message, and more body made with the response's CSP nonce. */
type Page = (status: number, title: string, message: string, body?: (nonce: string) => string) => void;

export function createReauthRouter(deps: ReauthPageDeps): Router {
  const router = express.Router();
  router.get(WIDGET_SCRIPT_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').sendFile(require.resolve('@mono.co/connect.js/index.js'));
  });
  // The limiters count every view, not only failures: each one is a request an owner's browser made.
  const limits: ViewLimits = {
    perSource: createFailureLimiter({ maxFailures: deps.viewsPerSource ?? 60, windowMs: 60_000 }),
    perLink: createFailureLimiter({ maxFailures: deps.viewsPerLink ?? 20, windowMs: 60_000 }),
  };
  router.get('/reauth/:accountId', (req, res) => renderReauthPage(deps, limits, req, res));
  return router;
}

async function renderReauthPage(deps: ReauthPageDeps, limits: ViewLimits, req: Request, res: Response) {
  const { links, accounts, monoPublicKey, now = Date.now } = deps;
  const page = pageFor(res, req.secure || deps.https === true);
  const accountId = String(req.params.accountId);
  const source = sourceOf(req);
  if (limits.perSource.isLimited(source)) return tooMany(res, page, limits.perSource.retryAfterSeconds(source));
  limits.perSource.recordFailure(source);
  const param = (name: string): string | undefined =>
    typeof req.query[name] === 'string' ? req.query[name] : undefined;
  const check = ACCOUNT_ID_PATTERN.test(accountId)
    ? links.check(accountId, { exp: param('exp'), kid: param('kid'), sig: param('sig') }, now())
    : 'tampered';
  if (check === 'valid') {
    // Counted once the signature is right: nobody without the link can use up its allowance.
    const link = `${accountId}\n${param('exp')}\n${param('sig')}`;
    if (limits.perLink.isLimited(link)) return tooMany(res, page, limits.perLink.retryAfterSeconds(link));
    limits.perLink.recordFailure(link);
  }
  await answerLink(page, check, async () => (await accounts.show(accountId)).state, widget(accountId, monoPublicKey));
}

function tooMany(res: Response, page: Page, retryAfterSeconds: number): void {
  res.set('Retry-After', String(retryAfterSeconds));
  page(429, 'Please wait a minute', 'This page was opened too many times. Wait a minute, then open your link again.');
}

/** The page for a link: what to do with a tampered or expired one, else what the account's state calls for. */
async function answerLink(
  page: Page,
  check: LinkCheck,
  stateOf: () => Promise<string | null>,
  widgetBody: (nonce: string) => string
): Promise<void> {
  if (check === 'tampered') {
    return page(
      403,
      'This link is not valid',
      'The link was changed or is incomplete. Open the most recent message we sent you and use its link, or ask us for a new one.'
    );
  }
  if (check === 'expired') {
    return page(
      410,
      'This link has expired',
      'For your security, links work for a limited time. We will send you a new one with our next reminder, or you can ask us for one now.'
    );
  }
  let state: string | null;
  try {
    state = await stateOf();
  } catch (err) {
    if (err instanceof AccountNotFound) {
      return page(
        404,
        'We could not find this account',
        'It may have been disconnected. Connect your bank again from the app.'
      );
    }
    return page(503, 'Please try again in a minute', 'We could not check your account just now.');
  }
  if (state === null) return page(404, 'We could not find this account', 'Connect your bank from the app first.');
  if (state === 'unlinked') {
    return page(
      410,
      'This bank account was disconnected',
      'It was unlinked, so there is nothing to reconnect. If you want us to see it again, connect your bank from the app.'
    );
  }
  if (state !== 'reauth_required') {
    return page(200, 'Your bank account is already connected', 'There is nothing to do. You can close this page.');
  }
  page(
    200,
    'Reconnect your bank account',
    'Your bank needs you to sign in again so we can keep your account up to date. It takes a minute.',
    widgetBody
  );
}

function widget(accountId: string, key: string): (nonce: string) => string {
  const config = JSON.stringify({ accountId, key }).replace(/</g, '\\u003c');
  // The widget adds a <style> element of its own; it gets this page's nonce so that the policy lets it apply.
  return (nonce) => `<button id="reconnect" type="button">Reconnect</button>
<p id="status" role="status"></p>
<script nonce="${nonce}">
  (function () {
    var nonce = document.currentScript.nonce;
    var createElement = document.createElement.bind(document);
    document.createElement = function (tag, options) {
      var element = createElement(tag, options);
      if (String(tag).toLowerCase() === 'style') element.nonce = nonce;
      return element;
    };
  })();
</script>
<script src="${WIDGET_SCRIPT_PATH}" nonce="${nonce}"></script>
<script nonce="${nonce}">
  (function () {
    var config = ${config};
    var status = document.getElementById('status');
    var button = document.getElementById('reconnect');
    var Connect = window.Connect || (window['@mono.co/connect.js'] && (window['@mono.co/connect.js'].default || window['@mono.co/connect.js']));
    if (!Connect) { status.textContent = 'The Mono widget could not be loaded. Please try again later.'; button.disabled = true; return; }
    var connect = new Connect({
      key: config.key,
      onSuccess: function () { status.textContent = 'Done — your bank account is reconnected. You can close this page.'; button.hidden = true; },
      onClose: function () { status.textContent = 'Closed. Press Reconnect when you are ready.'; }
    });
    connect.reauthorise(config.accountId);
    button.addEventListener('click', function () { connect.open(); });
  })();
</script>`;
}

/** The Content-Security-Policy of a page: scripts and style elements by nonce only, Mono's frames, no framing. */
export function contentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    // Style attributes cannot run script; the widget positions its frame with them.
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    `frame-src ${MONO_ORIGINS}`,
    `connect-src ${MONO_ORIGINS}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function pageFor(res: Response, https: boolean): Page {
  return (status, title, message, body) => {
    const nonce = randomBytes(16).toString('base64');
    res
      .status(status)
      .set({
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer', // the link is a credential: never leak it to the widget's origin
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': contentSecurityPolicy(nonce),
        ...(https && { 'Strict-Transport-Security': HSTS }),
      })
      .type('html').send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style nonce="${nonce}">
  body { font-family: system-ui, sans-serif; background: #f6f7f9; color: #1d2433; margin: 0; }
  main { max-width: 28rem; margin: 12vh auto; background: #fff; border-radius: 12px; padding: 2rem; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; margin-top: 0; }
  button { background: #182cd1; color: #fff; border: 0; border-radius: 8px; padding: .8rem 1.4rem; font-size: 1rem; cursor: pointer; }
</style>
</head>
<body><main><h1>${title}</h1><p>${message}</p>${body ? body(nonce) : ''}</main></body>
</html>`);
  };
}
