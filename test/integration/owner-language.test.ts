/**
 * Owners' language and the customer's brand, end to end on the real parts: a contact registered in Swahili through
 * the admin API, the workflow's email through a real SMTP server (smtp-server) with a text and an HTML part, and the
 * re-auth page over HTTP in both languages, with APP_NAME, APP_LOGO_URL and a TEMPLATES_DIR overriding some files.
 * And a template that cannot be used stops `npm start` before anything starts, naming the file.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BUILT_IN_TEMPLATES_DIR } from '../../src/messages/template-files.js';
import { startMain } from '../helpers/main-process.js';
import { eventually, startStack, TEST_ADMIN_TOKEN, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const LOGO = 'https://cdn.acme.test/brand/logo.png';
let stack: Stack;
let smtp: SMTPServer;
let templatesDir: string;
const mails: Array<{ to: string[]; mail: ParsedMail }> = [];

/** TEMPLATES_DIR: the Swahili re-auth subject and the English page's heading are the customer's own. */
function customerTemplates(): string {
  const dir = mkdtempSync(join(tmpdir(), 'customer-templates-'));
  const pageCopy = JSON.parse(readFileSync(join(BUILT_IN_TEMPLATES_DIR, 'en/reauth-page.json'), 'utf8'));
  pageCopy.reconnect.title = 'Reconnect your bank to {{appName}}';
  const files = {
    'sw/reauth_required/subject.txt': '{{appName}}: unganisha tena benki yako',
    'en/reauth-page.json': JSON.stringify(pageCopy, null, 2),
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      void simpleParser(stream).then((mail) => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), mail });
        done();
      }, done);
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  templatesDir = customerTemplates();
  stack = await startStack({
    address: inject('temporalAddress'),
    notify: {
      channels: ['log', 'email'],
      smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
      from: 'Acme Pay <reauth@acme.test>',
    },
    env: { APP_NAME: 'Acme Pay', APP_LOGO_URL: LOGO, TEMPLATES_DIR: templatesDir },
  });
});
afterAll(async () => {
  await stack?.stop();
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  if (templatesDir) rmSync(templatesDir, { recursive: true, force: true });
});

const putContact = (id: string, body: unknown) =>
  fetch(`${stack.adminUrl}/accounts/${id}/contact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** The owner's first email once the account needs re-auth. */
async function reauthEmailTo(id: string, contact: Record<string, unknown>): Promise<ParsedMail> {
  const address = `owner-${id}@example.com`;
  expect((await putContact(id, { email: address, ...contact })).status).toBe(202);
  await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
  const [first] = await eventually(
    () => Promise.resolve(mails.filter((m) => m.to.includes(address))),
    (found) => found.length > 0
  );
  return first!.mail;
}

/** Opens the page of a link as the owner's browser would. */
async function openPage(link: string, headers: Record<string, string> = {}) {
  const url = new URL(link);
  const res = await fetch(`${stack.baseUrl}${url.pathname}${url.search}`, { headers });
  return { status: res.status, html: await res.text(), headers: res.headers };
}

const linkIn = (text: string | undefined): string => /(http:\/\/reauth\.test\/reauth\/\S+)/.exec(text ?? '')![1]!;

describe("the contact's locale", () => {
  it('is refused with 400 when not supported, and kept with the contact when it is', async () => {
    const id = newAccountId();
    const refused = await putContact(id, { locale: 'fr' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: 'locale: must be one of en, sw' });
    expect((await putContact(id, { locale: 'sw' })).status).toBe(202);
    const view = await eventually(
      () => stack.state(id),
      (v) => v.contact.locale === 'sw'
    );
    expect(view.contact).toEqual({ email: false, timeZone: null, locale: 'sw' });
  });
});

describe('email', () => {
  it('to a Swahili owner: Swahili text and HTML parts, the customer subject, the logo, a link that opens in Swahili', async () => {
    const mail = await reauthEmailTo(newAccountId(), { locale: 'sw' });
    expect(mail.subject).toBe('Acme Pay: unganisha tena benki yako'); // TEMPLATES_DIR's
    expect(mail.text).toContain('Benki yako inahitaji uingie tena ili Acme Pay iendelee kusasisha'); // built in
    const link = linkIn(mail.text);
    expect(link).toMatch(/&lang=sw$/);
    expect(mail.html).toContain('<html lang="sw">');
    expect(mail.html).toContain(`<img class="logo" src="${LOGO}" alt="Acme Pay">`);
    expect(mail.html).toContain('Unganisha tena akaunti yako ya benki</a>');
    const href = /<a class="button" href="([^"]+)"/.exec(mail.html as string)![1]!;
    expect(href.replace(/&#x3D;/g, '=').replace(/&amp;/g, '&')).toBe(link);

    const page = await openPage(link, { 'accept-language': 'en-GB,en;q=0.9' }); // the link's lang wins
    expect(page.status).toBe(200);
    expect(page.html).toContain('<html lang="sw">');
    expect(page.html).toContain('<h1>Unganisha tena akaunti yako ya benki</h1>');
    expect(page.html).toContain('<button id="reconnect" type="button">Unganisha tena</button>');
    expect(page.headers.get('content-language')).toBe('sw');
  });

  it('to an owner with no locale: English, the built-in subject with the app name, a link without lang', async () => {
    const mail = await reauthEmailTo(newAccountId(), {});
    expect(mail.subject).toBe('Acme Pay: please reconnect your bank account');
    expect(mail.text).toContain('so Acme Pay can keep your account up to date');
    expect(mail.html).toContain('<html lang="en">');
    expect(linkIn(mail.text)).not.toContain('lang=');
  });
});

describe('the re-auth page', () => {
  let link: string;
  beforeAll(async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await eventually(
      () => stack.state(id),
      (v) => v.state === 'reauth_required'
    );
    link = stack.links.create(id, Date.now()); // as issued before links had lang
  });

  it("without lang, follows the browser's language, else English; the logo's origin alone is allowed", async () => {
    const sw = await openPage(link, { 'accept-language': 'sw-KE,sw;q=0.9,en;q=0.8' });
    expect(sw.html).toContain('<h1>Unganisha tena akaunti yako ya benki</h1>');
    const en = await openPage(link, { 'accept-language': 'fr-FR,fr;q=0.9' });
    expect(en.html).toContain('<html lang="en">');
    expect(en.html).toContain('<h1>Reconnect your bank to Acme Pay</h1>'); // TEMPLATES_DIR's
    expect(en.html).toContain(`<img class="logo" src="${LOGO}" alt="Acme Pay">`);
    for (const page of [sw, en]) {
      const csp = page.headers.get('content-security-policy')!;
      expect(csp).toContain("img-src 'self' data: https://cdn.acme.test;");
      expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/]{24}';/);
      expect(csp).toContain("frame-ancestors 'none'");
    }
  });

  it('says what went wrong in the owner’s language: an expired link, a tampered one', async () => {
    const expired = await openPage(`${stack.links.create(newAccountId(), Date.now() - 30 * 86_400_000)}&lang=sw`);
    expect(expired.status).toBe(410);
    expect(expired.html).toContain('<h1>Muda wa kiungo hiki umekwisha</h1>');
    const tampered = await openPage(`${link.replace(/sig=[^&]+/, `sig=${'A'.repeat(43)}`)}&lang=sw`);
    expect(tampered.status).toBe(403);
    expect(tampered.html).toContain('<h1>Kiungo hiki si sahihi</h1>');
  });

  it("the admin API's link for a Swahili owner opens in Swahili", async () => {
    const id = newAccountId();
    expect((await putContact(id, { locale: 'sw' })).status).toBe(202);
    await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }));
    await eventually(
      () => stack.state(id),
      (v) => v.state === 'reauth_required' && v.contact.locale === 'sw'
    );
    const res = await fetch(`${stack.adminUrl}/accounts/${id}/reauth-link`, {
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    });
    const { url } = (await res.json()) as { url: string };
    expect(url).toMatch(/&lang=sw$/);
    expect((await openPage(url)).html).toContain('<html lang="sw">');
  });
});

describe('start-up', () => {
  it('stops before anything starts when a template cannot be used, naming the file and what to do', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'broken-templates-'));
    try {
      mkdirSync(join(broken, 'sw/recovered'), { recursive: true });
      writeFileSync(join(broken, 'sw/recovered/sms.txt'), '{{#if appName}}Asante');
      const { output, exited } = startMain({ TEMPLATES_DIR: broken, TEMPORAL_ADDRESS: '127.0.0.1:1' });
      expect(await exited).toBe(1);
      expect(output.stderr).toContain(
        'mono-reauth could not start: template TEMPLATES_DIR/sw/recovered/sms.txt: Parse error'
      );
      expect(output.stderr).toContain('fix the file, or remove it from TEMPLATES_DIR to use the built-in one');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
