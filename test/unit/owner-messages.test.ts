/**
 * The owners' messages and the re-auth page from the template files (src/messages): escaping, the customer's
 * overrides over the built-in files, the locale, templates that cannot be used, and the SMS and WhatsApp renders
 * the SMS and WhatsApp channels are to use.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { linkLanguage, pageLocale, preferredLocale } from '../../src/messages/locale.js';
import {
  loadOwnerMessages,
  OWNER_MESSAGE_TYPES,
  type OwnerMessagesOptions,
} from '../../src/messages/owner-messages.js';
import { BUILT_IN_TEMPLATES_DIR, TemplateError } from '../../src/messages/template-files.js';
import { OWNER_LOCALES } from '../../src/workflows/account-lifecycle/model/types.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A directory holding `files` (path → content). */
function directoryWith(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'templates-'));
  dirs.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const loadingFails = (options: OwnerMessagesOptions): string => {
  try {
    loadOwnerMessages(options);
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    return (err as Error).message;
  }
  throw new Error('the templates loaded');
};

/** A link as the service signs it: a Mono account id (24 hex digits), a 10-digit expiry, key id and HMAC. */
const links = createReauthLinks({ baseUrl: 'https://app.acme.ng', secrets: ['s'.repeat(40)], ttlMs: 7 * 86_400_000 });
const ACCOUNT = '5feec8ce95e8dc6a52e53257';
const linkFor = (lang?: string) => links.create(ACCOUNT, Date.parse('2026-12-07T12:00:00Z'), lang);

/** The GSM 03.38 basic character set: a message of only these is 160 characters per segment (153 when split). */
const GSM_7 = /^[@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&'()*+,\-./0-9:;<=>?¡A-ZÄÖÑÜ§¿a-zäöñüà^{}\\[~\]|€]*$/;

describe('email', () => {
  it('reads as before without APP_NAME, so existing owners see the same English text', () => {
    const messages = loadOwnerMessages();
    const link = linkFor();
    const required = messages.renderOwnerMessage({
      type: 'account.reauth_required',
      channel: 'email',
      vars: { link },
    });
    expect(required.subject).toBe('Please reconnect your bank account');
    expect(required.text).toBe(
      `Your bank needs you to sign in again so we can keep your account up to date.\n\nReconnect here: ${link}\n\nThe link works for a limited time.`
    );
    const reminder = messages.renderOwnerMessage({ type: 'account.reauth_reminder', channel: 'email', vars: { link } });
    expect(reminder.subject).toBe('Reminder: please reconnect your bank account');
    const recovered = messages.renderOwnerMessage({ type: 'account.recovered', channel: 'email', vars: {} });
    expect(recovered.text).toBe('Thank you — your bank account is connected again. There is nothing more to do.');
  });

  it('escapes values in HTML and leaves text as text', () => {
    const messages = loadOwnerMessages({ appName: 'A&B <script>"x"</script>', logoUrl: 'https://cdn.acme.ng/l.png' });
    const email = messages.renderOwnerMessage({
      type: 'account.reauth_required',
      channel: 'email',
      locale: 'en',
      vars: { link: 'https://app.acme.ng/reauth/x?exp=1&sig="><script>' },
    });
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('A&amp;B &lt;script&gt;&quot;x&quot;&lt;/script&gt;');
    expect(email.html).toContain(
      'href="https://app.acme.ng/reauth/x?exp&#x3D;1&amp;sig&#x3D;&quot;&gt;&lt;script&gt;"'
    );
    expect(email.html).toContain('<img class="logo" src="https://cdn.acme.ng/l.png"');
    expect(email.html).toContain('<html lang="en">');
    expect(email.subject).toBe('A&B <script>"x"</script>: please reconnect your bank account');
    expect(email.text).toContain('so A&B <script>"x"</script> can keep');
  });

  it("is in the contact's locale, English when none or an unknown one is given", () => {
    const messages = loadOwnerMessages({ appName: 'Acme' });
    const render = (locale?: string | null) =>
      messages.renderOwnerMessage({ type: 'account.reauth_required', channel: 'email', locale, vars: { link: 'L' } });
    expect(render('sw').subject).toBe('Acme: tafadhali unganisha tena akaunti yako ya benki');
    expect(render('sw').text).toContain('Unganisha tena hapa: L');
    expect(render('sw').html).toContain('<html lang="sw">');
    for (const locale of [undefined, null, 'fr', 'EN']) expect(render(locale).subject).toMatch(/^Acme: please/);
  });
});

describe('SMS', () => {
  it('in English, with a real signed link and a short app name, fits one GSM-7 segment', () => {
    const messages = loadOwnerMessages({ appName: 'Acme' });
    const link = linkFor(linkLanguage('en'));
    expect(link.length).toBeGreaterThanOrEqual(129);
    for (const type of OWNER_MESSAGE_TYPES) {
      for (const appName of ['Acme', undefined]) {
        const { text } = messages.renderOwnerMessage({ type, channel: 'sms', locale: 'en', vars: { link, appName } });
        expect(text, type).toMatch(GSM_7);
        expect(text.length, `${type}: ${text}`).toBeLessThanOrEqual(160);
        if (type !== 'account.recovered') expect(text).toContain(link);
      }
    }
  });

  it('in Swahili is GSM-7 too and takes two segments for a re-auth message (the link leaves 30 characters)', () => {
    const messages = loadOwnerMessages({ appName: 'Acme' });
    const link = linkFor(linkLanguage('sw'));
    expect(link).toMatch(/&lang=sw$/);
    for (const type of OWNER_MESSAGE_TYPES) {
      const { text } = messages.renderOwnerMessage({ type, channel: 'sms', locale: 'sw', vars: { link } });
      expect(text, type).toMatch(GSM_7);
      expect(text.length, text).toBeLessThanOrEqual(2 * 153);
    }
  });
});

describe('WhatsApp', () => {
  it("gives the approved template's name, language and its parameters in order, on one line each", () => {
    const messages = loadOwnerMessages({ appName: 'Acme\nPay' });
    const link = linkFor('sw');
    expect(
      messages.renderOwnerMessage({
        type: 'account.reauth_required',
        channel: 'whatsapp',
        locale: 'sw',
        vars: { link },
      })
    ).toEqual({ template: 'account_reauth_required', language: 'sw', parameters: ['Acme Pay', link] });
    expect(messages.renderOwnerMessage({ type: 'account.recovered', channel: 'whatsapp', vars: {} })).toEqual({
      template: 'account_recovered',
      language: 'en',
      parameters: ['Acme Pay'],
    });
  });

  it('refuses an empty parameter (WhatsApp would) and says what to set', () => {
    const messages = loadOwnerMessages();
    expect(() => messages.renderOwnerMessage({ type: 'account.recovered', channel: 'whatsapp', vars: {} })).toThrow(
      /parameter 1 is empty: set APP_NAME/
    );
  });
});

describe('the re-auth page', () => {
  it('in each locale, with the app name or its logo, values escaped', () => {
    const messages = loadOwnerMessages({ appName: 'Acme <b>' });
    const en = messages.renderReauthPage({ view: 'expired', locale: 'en', nonce: 'abc' });
    expect(en.title).toBe('This link has expired');
    expect(en.html).toContain('<html lang="en">');
    expect(en.html).toContain('<p class="app">Acme &lt;b&gt;</p>');
    expect(en.html).toContain('<style nonce="abc">');
    const sw = messages.renderReauthPage({
      view: 'reconnect',
      locale: 'sw',
      nonce: 'abc',
      widget: (text) => `<button>${text.button}</button>`,
    });
    expect(sw.title).toBe('Unganisha tena akaunti yako ya benki');
    expect(sw.html).toContain('ili Acme &lt;b&gt; iendelee kusasisha');
    expect(sw.html).toContain('<button>Unganisha tena</button>');
    const withLogo = loadOwnerMessages({ appName: 'Acme', logoUrl: 'https://cdn.acme.ng/brand/logo.png' });
    expect(withLogo.logoOrigin).toBe('https://cdn.acme.ng');
    expect(withLogo.renderReauthPage({ view: 'connected', locale: 'en', nonce: 'n' }).html).toContain(
      '<img class="logo" src="https://cdn.acme.ng/brand/logo.png" alt="Acme">'
    );
  });

  it('picks its language from lang, then Accept-Language, then English', () => {
    expect(pageLocale('sw', 'en')).toBe('sw');
    expect(pageLocale('xx', 'sw-KE,sw;q=0.9,en;q=0.8')).toBe('sw');
    expect(pageLocale(undefined, 'fr-FR, en;q=0.5, sw;q=0.7')).toBe('sw');
    expect(pageLocale(undefined, 'sw;q=0, en-NG')).toBe('en');
    expect(pageLocale(undefined, 'fr, de')).toBe('en');
    expect(pageLocale(undefined, '*')).toBe('en');
    expect(pageLocale(undefined, undefined)).toBe('en');
    expect(preferredLocale('en-GB;q=0.4, sw-TZ;q=0.6')).toBe('sw');
  });
});

describe('links', () => {
  it('carry lang for owners in another language than English, outside the signature', () => {
    const now = Date.now();
    expect(linkLanguage('en')).toBeUndefined();
    expect(linkLanguage(null)).toBeUndefined();
    expect(linkLanguage('sw')).toBe('sw');
    const url = new URL(links.create(ACCOUNT, now, 'sw'));
    expect(url.searchParams.get('lang')).toBe('sw');
    const params = Object.fromEntries(url.searchParams) as Record<string, string>;
    expect(links.check(ACCOUNT, params, now)).toBe('valid');
    // A link issued before lang existed is the same link without it, and stays valid.
    expect(links.create(ACCOUNT, now)).toBe(url.href.replace('&lang=sw', ''));
  });
});

describe('overrides and failures', () => {
  it("uses TEMPLATES_DIR's file where there is one and the built-in one elsewhere", () => {
    const templatesDir = directoryWith({
      'en/reauth_required/sms.txt': '{{appName}} says: sign in again {{link}}\n',
      'sw/reauth-page.json': JSON.stringify(pageCopyWith('reconnect', 'title', 'Karibu {{appName}}')),
      'reauth-page.html': '<html lang="{{lang}}"><title>{{title}}</title><body>custom {{{widget}}}</body></html>',
      '.DS_Store': 'ignored',
    });
    const messages = loadOwnerMessages({ templatesDir, appName: 'Acme' });
    const sms = (type: (typeof OWNER_MESSAGE_TYPES)[number]) =>
      messages.renderOwnerMessage({ type, channel: 'sms', vars: { link: 'L' } }).text;
    expect(sms('account.reauth_required')).toBe('Acme says: sign in again L');
    expect(sms('account.reauth_reminder')).toBe('Acme reminder: reconnect bank L');
    const page = messages.renderReauthPage({ view: 'reconnect', locale: 'sw', nonce: 'n' });
    expect(page.html).toBe('<html lang="sw"><title>Karibu Acme</title><body>custom </body></html>');
  });

  it.each<[string, Record<string, string>, RegExp]>([
    [
      'a syntax error',
      { 'en/reauth_required/email.html': '<p>{{#if link}}open</p>' },
      /^template TEMPLATES_DIR\/en\/reauth_required\/email\.html: Parse error on line 1.*; fix the file, or remove it from TEMPLATES_DIR to use the built-in one$/,
    ],
    [
      'a misspelt variable',
      { 'sw/recovered/subject.txt': '{{appname}}: imeunganishwa' },
      /^template TEMPLATES_DIR\/sw\/recovered\/subject\.txt: "appname" not defined .*\(a variable this template is not given\); fix the file/,
    ],
    [
      'an unknown helper',
      { 'en/recovered/sms.txt': '{{upper appName}}' },
      /^template TEMPLATES_DIR\/en\/recovered\/sms\.txt: .*unknown helper upper/,
    ],
    [
      'page texts that are not JSON',
      { 'en/reauth-page.json': '{ "reconnect": ' },
      /^template TEMPLATES_DIR\/en\/reauth-page\.json: not valid JSON/,
    ],
    [
      'page texts missing one',
      { 'en/reauth-page.json': '{ "reconnect": { "title": "x", "message": "y" } }' },
      /^template TEMPLATES_DIR\/en\/reauth-page\.json: "tampered\.title" is missing or not a text/,
    ],
    [
      'a WhatsApp body and parameters that disagree',
      {
        'en/reauth_reminder/whatsapp.json':
          '{"template":"t","language":"en","body":"Hi {{1}}, go to {{2}} now","parameters":["{{link}}"]}',
      },
      /^template TEMPLATES_DIR\/en\/reauth_reminder\/whatsapp\.json: "body" has 2 placeholders but 1 parameters/,
    ],
    [
      'a WhatsApp body ending with a placeholder',
      {
        'sw/recovered/whatsapp.json':
          '{"template":"t","language":"sw","body":"Asante. Imeunganishwa tena na {{1}}","parameters":["{{appName}}"]}',
      },
      /^template TEMPLATES_DIR\/sw\/recovered\/whatsapp\.json: WhatsApp refuses a "body" that starts or ends/,
    ],
    [
      'a file no template has the path of',
      { 'en/reauth-required/sms.txt': 'x' },
      /^TEMPLATES_DIR\/en\/reauth-required\/sms\.txt is not a template of this service/,
    ],
  ])('refuses %s, naming the file and what to do', (_what, files, message) => {
    expect(loadingFails({ templatesDir: directoryWith(files) })).toMatch(message);
  });

  it('refuses a TEMPLATES_DIR that is not a directory, and an installation missing a built-in file', () => {
    expect(loadingFails({ templatesDir: '/nonexistent/templates' })).toMatch(
      /TEMPLATES_DIR \/nonexistent\/templates is not a directory/
    );
    const builtInDir = mkdtempSync(join(tmpdir(), 'built-in-'));
    dirs.push(builtInDir);
    cpSync(BUILT_IN_TEMPLATES_DIR, builtInDir, { recursive: true });
    rmSync(join(builtInDir, 'sw/reauth_reminder/email.txt'));
    expect(loadingFails({ builtInDir })).toMatch(
      /^template templates\/sw\/reauth_reminder\/email\.txt \(built in\): cannot be read \(ENOENT\); the installation is incomplete/
    );
  });

  it('ships every file of every locale', () => {
    expect(OWNER_LOCALES).toEqual(['en', 'sw']);
    expect(() => loadOwnerMessages()).not.toThrow();
  });
});

/** The built-in English page texts with one text changed. */
function pageCopyWith(view: string, field: string, text: string): Record<string, Record<string, string>> {
  const copy = loadJson(join(BUILT_IN_TEMPLATES_DIR, 'en/reauth-page.json'));
  copy[view]![field] = text;
  return copy;
}

function loadJson(path: string): Record<string, Record<string, string>> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
}
