/**
 * The re-auth page behind the links in owner notices: `GET /reauth/:accountId?exp=…&sig=…`.
 * It checks the signature and expiry first; only then does it look at the account, and for an account that
 * still needs re-authorisation it renders a small page that opens Mono Connect in re-auth mode for the account id
 * (the current widget needs no token). Expired, tampered and already-fixed links get a page saying what to do.
 * Opening it changes nothing, so clicking twice is harmless; the page shows no PII.
 */
import { createRequire } from 'node:module';
import express, { type Response, type Router } from 'express';
import type { ReauthLinks } from '../../lib/reauth-link.js';
import { AccountNotFound, type AccountWorkflows } from '../../accounts/client.js';
import { ACCOUNT_ID_PATTERN } from '../../workflows/account-lifecycle/api/messages.js';

const require = createRequire(import.meta.url);
export const WIDGET_SCRIPT_PATH = '/reauth/assets/connect.js';

export interface ReauthPageDeps {
  links: ReauthLinks;
  accounts: Pick<AccountWorkflows, 'show'>;
  /** Mono public key for the widget (`test_pk_…` / `live_pk_…`). */
  monoPublicKey: string;
  now?: () => number;
}

export function createReauthRouter({ links, accounts, monoPublicKey, now = Date.now }: ReauthPageDeps): Router {
  const router = express.Router();
  router.get(WIDGET_SCRIPT_PATH, (_req, res) => {
    res.set('Cache-Control', 'public, max-age=3600').sendFile(require.resolve('@mono.co/connect.js/index.js'));
  });

  router.get('/reauth/:accountId', async (req, res) => {
    const accountId = req.params.accountId;
    const param = (name: string): string | undefined =>
      typeof req.query[name] === 'string' ? req.query[name] : undefined;
    const check = ACCOUNT_ID_PATTERN.test(accountId)
      ? links.check(accountId, { exp: param('exp'), kid: param('kid'), sig: param('sig') }, now())
      : 'tampered';
    if (check === 'tampered') {
      return page(
        res,
        403,
        'This link is not valid',
        'The link was changed or is incomplete. Open the most recent message we sent you and use its link, or ask us for a new one.'
      );
    }
    if (check === 'expired') {
      return page(
        res,
        410,
        'This link has expired',
        'For your security, links work for a limited time. We will send you a new one with our next reminder, or you can ask us for one now.'
      );
    }
    let state: string | null;
    try {
      state = (await accounts.show(accountId)).state;
    } catch (err) {
      if (err instanceof AccountNotFound)
        return page(
          res,
          404,
          'We could not find this account',
          'It may have been disconnected. Connect your bank again from the app.'
        );
      return page(res, 503, 'Please try again in a minute', 'We could not check your account just now.');
    }
    if (state === null) {
      return page(res, 404, 'We could not find this account', 'Connect your bank from the app first.');
    }
    if (state === 'unlinked') {
      return page(
        res,
        410,
        'This bank account was disconnected',
        'It was unlinked, so there is nothing to reconnect. If you want us to see it again, connect your bank from the app.'
      );
    }
    if (state !== 'reauth_required') {
      return page(
        res,
        200,
        'Your bank account is already connected',
        'There is nothing to do. You can close this page.'
      );
    }
    page(
      res,
      200,
      'Reconnect your bank account',
      'Your bank needs you to sign in again so we can keep your account up to date. It takes a minute.',
      widget(accountId, monoPublicKey)
    );
  });
  return router;
}

function widget(accountId: string, key: string): string {
  const config = JSON.stringify({ accountId, key }).replace(/</g, '\\u003c');
  return `<button id="reconnect" type="button">Reconnect</button>
<p id="status" role="status"></p>
<script src="${WIDGET_SCRIPT_PATH}"></script>
<script>
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

function page(res: Response, status: number, title: string, message: string, body = ''): void {
  res
    .status(status)
    .set({
      'Cache-Control': 'no-store',
      'Referrer-Policy': 'no-referrer', // the link is a credential: never leak it to the widget's origin
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy':
        "default-src 'self'; script-src 'self' 'unsafe-inline'; frame-src https://*.mono.co https://*.withmono.com; connect-src https://*.mono.co https://*.withmono.com; style-src 'unsafe-inline'",
    })
    .type('html').send(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>
  body { font-family: system-ui, sans-serif; background: #f6f7f9; color: #1d2433; margin: 0; }
  main { max-width: 28rem; margin: 12vh auto; background: #fff; border-radius: 12px; padding: 2rem; box-shadow: 0 2px 12px rgba(0,0,0,.08); }
  h1 { font-size: 1.35rem; margin-top: 0; }
  button { background: #182cd1; color: #fff; border: 0; border-radius: 8px; padding: .8rem 1.4rem; font-size: 1rem; cursor: pointer; }
</style>
</head>
<body><main><h1>${title}</h1><p>${message}</p>${body}</main></body>
</html>`);
}
