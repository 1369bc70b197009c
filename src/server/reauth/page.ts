/**
 * The re-auth page behind the links in owner notices: `GET /reauth/:accountId?exp=…&kid=…&sig=…`.
 * It checks the signature and expiry first; only then does it look at the account, and for an account that
 * still needs re-authorisation it renders a small page that opens Mono Connect in re-auth mode for the account id
 * (the current widget needs no token). Expired, tampered and already-fixed links get a page saying what to do.
 * Opening it changes nothing, so clicking twice is harmless; the page shows no PII. Its texts, app name and logo
 * come from the templates (src/messages), in the link's `lang`, else the browser's language, else English.
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
import { pageLocale, type OwnerLocale } from '../../messages/locale.js';
import {
  builtInOwnerMessages,
  type OwnerMessages,
  type PageView,
  type WidgetText,
} from '../../messages/owner-messages.js';
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
  /** The loaded templates (APP_NAME, APP_LOGO_URL, TEMPLATES_DIR); the built-in ones without a brand by default. */
  messages?: OwnerMessages;
  now?: () => number;
}

/** A minute's allowance of page views per source, and per valid link. */
interface ViewLimits {
  perSource: FailureLimiter;
  perLink: FailureLimiter;
}

/** Renders a page: status, what it says, and the widget made with the response's CSP nonce and its texts. */
type Page = (status: number, view: PageView, widget?: Widget) => void;
type Widget = (nonce: string, text: WidgetText) => string;

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
  const locale = pageLocale(queryText(req, 'lang'), req.get('accept-language'));
  const page = pageFor(res, req.secure || deps.https === true, deps.messages ?? builtInOwnerMessages(), locale);
  const accountId = String(req.params.accountId);
  const source = sourceOf(req);
  if (limits.perSource.isLimited(source)) return tooMany(res, page, limits.perSource.retryAfterSeconds(source));
  limits.perSource.recordFailure(source);
  const param = (name: string): string | undefined => queryText(req, name);
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

const queryText = (req: Request, name: string): string | undefined =>
  typeof req.query[name] === 'string' ? req.query[name] : undefined;

function tooMany(res: Response, page: Page, retryAfterSeconds: number): void {
  res.set('Retry-After', String(retryAfterSeconds));
  page(429, 'tooMany');
}

/** The page for a link: what to do with a tampered or expired one, else what the account's state calls for. */
async function answerLink(
  page: Page,
  check: LinkCheck,
  stateOf: () => Promise<string | null>,
  widgetBody: Widget
): Promise<void> {
  if (check === 'tampered') return page(403, 'tampered');
  if (check === 'expired') return page(410, 'expired');
  let state: string | null;
  try {
    state = await stateOf();
  } catch (err) {
    return err instanceof AccountNotFound ? page(404, 'notFound') : page(503, 'unavailable');
  }
  if (state === null) return page(404, 'notKnownYet');
  if (state === 'unlinked') return page(410, 'unlinked');
  if (state !== 'reauth_required') return page(200, 'connected');
  page(200, 'reconnect', widgetBody);
}

/** The widget's button and scripts; its texts travel as JSON beside the account id and are shown as text. */
function widget(accountId: string, key: string): Widget {
  // The widget adds a <style> element of its own; it gets this page's nonce so that the policy lets it apply.
  return (nonce, text) => `<button id="reconnect" type="button">${escapeHtml(text.button)}</button>
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
    var config = ${scriptJson({ accountId, key, text })};
    var status = document.getElementById('status');
    var button = document.getElementById('reconnect');
    var Connect = window.Connect || (window['@mono.co/connect.js'] && (window['@mono.co/connect.js'].default || window['@mono.co/connect.js']));
    if (!Connect) { status.textContent = config.text.unavailable; button.disabled = true; return; }
    var connect = new Connect({
      key: config.key,
      onSuccess: function () { status.textContent = config.text.done; button.hidden = true; },
      onClose: function () { status.textContent = config.text.closed; }
    });
    connect.reauthorise(config.accountId);
    button.addEventListener('click', function () { connect.open(); });
  })();
</script>`;
}

/** JSON for inside a script element: `<` escaped, so no text can close the element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The Content-Security-Policy of a page: scripts and style elements by nonce only, Mono's frames, no framing;
 * images from the page's own origin and, when APP_LOGO_URL is set, from the logo's origin and no other.
 */
export function contentSecurityPolicy(nonce: string, imageOrigin?: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    // Style attributes cannot run script; the widget positions its frame with them.
    "style-src-attr 'unsafe-inline'",
    `img-src 'self' data:${imageOrigin ? ` ${imageOrigin}` : ''}`,
    `frame-src ${MONO_ORIGINS}`,
    `connect-src ${MONO_ORIGINS}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function pageFor(res: Response, https: boolean, messages: OwnerMessages, locale: OwnerLocale): Page {
  return (status, view, widget) => {
    // 18 bytes: 24 base64 characters with no '=' padding, which templates would HTML-escape.
    const nonce = randomBytes(18).toString('base64');
    const { html } = messages.renderReauthPage({
      view,
      locale,
      nonce,
      ...(widget && { widget: (text: WidgetText) => widget(nonce, text) }),
    });
    res
      .status(status)
      .set({
        'Cache-Control': 'no-store',
        'Referrer-Policy': 'no-referrer', // the link is a credential: never leak it to the widget's origin
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Content-Security-Policy': contentSecurityPolicy(nonce, messages.logoOrigin),
        'Content-Language': locale,
        ...(https && { 'Strict-Transport-Security': HSTS }),
      })
      .type('html')
      .send(html);
  };
}
