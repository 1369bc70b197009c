/**
 * What owners read, in their language and under the customer's name: the messages (email subject, text and HTML;
 * SMS text; WhatsApp template parameters) and the re-auth page, rendered from the template files (template-files.ts).
 * `loadOwnerMessages` reads and compiles every file once, at start; rendering reads nothing.
 *
 * Layout of a templates directory (built in: templates/ at the top of the repository):
 *   email-layout.html, reauth-page.html           the HTML around an email's content, and the re-auth page
 *   <locale>/reauth-page.json                      the page's texts, by what the page says
 *   <locale>/<message>/subject.txt, email.txt, email.html, sms.txt, whatsapp.json
 * where <message> is reauth_required, reauth_reminder or recovered.
 */
import { OWNER_LOCALES, localeOf, type OwnerLocale } from './locale.js';
import { TemplateFiles, type Render, type TemplateSource } from './template-files.js';

export const OWNER_MESSAGE_TYPES = ['account.reauth_required', 'account.reauth_reminder', 'account.recovered'] as const;
export type OwnerMessageType = (typeof OWNER_MESSAGE_TYPES)[number];
export type OwnerChannel = 'email' | 'sms' | 'whatsapp';

export const isOwnerMessageType = (type: string): type is OwnerMessageType =>
  (OWNER_MESSAGE_TYPES as readonly string[]).includes(type);

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}
export interface RenderedSms {
  text: string;
}
/** A WhatsApp template message: the approved template's name and language, and its body's values in order. */
export interface RenderedWhatsApp {
  template: string;
  language: string;
  parameters: string[];
}
export interface RenderedMessage {
  email: RenderedEmail;
  sms: RenderedSms;
  whatsapp: RenderedWhatsApp;
}

/** The values a message shows; the app name and logo default to APP_NAME and APP_LOGO_URL. */
export interface MessageVars {
  /** The signed re-auth link (re-auth messages). */
  link?: string | null;
  appName?: string | null;
  logoUrl?: string | null;
}

export interface OwnerMessageRequest<C extends OwnerChannel> {
  type: OwnerMessageType;
  channel: C;
  /** The contact's locale; English when unset or unknown. */
  locale?: string | null;
  vars: MessageVars;
}

/** What the re-auth page can say, each a title and a message in <locale>/reauth-page.json. */
export const PAGE_VIEWS = [
  'reconnect',
  'tampered',
  'expired',
  'notFound',
  'notKnownYet',
  'unavailable',
  'unlinked',
  'connected',
  'tooMany',
] as const;
export type PageView = (typeof PAGE_VIEWS)[number];

/** The widget's texts, shown by the page's script (`widget` in <locale>/reauth-page.json). */
export const WIDGET_TEXTS = ['button', 'unavailable', 'done', 'closed'] as const;
export type WidgetText = Record<(typeof WIDGET_TEXTS)[number], string>;

export interface ReauthPageRequest {
  view: PageView;
  locale: OwnerLocale;
  /** The response's CSP nonce, for the page's style element. */
  nonce: string;
  /** HTML after the message (the Mono widget), made from the widget's texts in the page's language. */
  widget?: (text: WidgetText) => string;
}

/** The customer's name and logo on every message and page. */
export interface Brand {
  appName?: string | undefined;
  /** An https URL; the page's Content-Security-Policy allows images from its origin. */
  logoUrl?: string | undefined;
}

export interface OwnerMessagesOptions extends Brand {
  /** TEMPLATES_DIR: files here replace the built-in ones of the same path. */
  templatesDir?: string | undefined;
  /** The built-in templates (tests); default templates/. */
  builtInDir?: string;
}

interface CompiledMessage {
  subject: Render;
  text: Render;
  html: Render;
  sms: Render;
  whatsapp: { template: string; language: string; parameters: Render[] };
}

interface CompiledPage {
  views: Record<PageView, { title: Render; message: Render }>;
  widget: Record<keyof WidgetText, Render>;
}

interface Library {
  emailLayout: Render;
  pageLayout: Render;
  messages: Record<OwnerLocale, Record<OwnerMessageType, CompiledMessage>>;
  pages: Record<OwnerLocale, CompiledPage>;
}

const SAMPLE_MESSAGE = {
  appName: 'Sample',
  link: 'https://example.com/reauth/1',
  logoUrl: 'https://example.com/l.png',
};
const SAMPLE_PAGE = { ...SAMPLE_MESSAGE, lang: 'en', title: 'Title', message: 'Message', nonce: 'n', widget: '' };
const SAMPLE_EMAIL = { ...SAMPLE_MESSAGE, lang: 'en', subject: 'Subject', content: '<p>Content</p>' };

/** Reads and compiles every template; throws TemplateError naming the first file that cannot be used. */
export function loadOwnerMessages(options: OwnerMessagesOptions = {}): OwnerMessages {
  const files = new TemplateFiles(options.templatesDir, options.builtInDir);
  const byLocale = <T>(load: (locale: OwnerLocale) => T) =>
    Object.fromEntries(OWNER_LOCALES.map((locale) => [locale, load(locale)])) as Record<OwnerLocale, T>;
  const library: Library = {
    emailLayout: files.compile(files.read('email-layout.html'), SAMPLE_EMAIL, true),
    pageLayout: files.compile(files.read('reauth-page.html'), SAMPLE_PAGE, true),
    messages: byLocale((locale) => {
      const types = OWNER_MESSAGE_TYPES.map((type) => [type, compileMessage(files, locale, type)] as const);
      return Object.fromEntries(types) as Record<OwnerMessageType, CompiledMessage>;
    }),
    pages: byLocale((locale) => compilePage(files, locale)),
  };
  files.refuseUnknownOverrides();
  return new OwnerMessages(library, options);
}

export class OwnerMessages {
  /** The origin of APP_LOGO_URL, which the page's Content-Security-Policy allows images from. */
  readonly logoOrigin: string | undefined;

  constructor(
    private readonly library: Library,
    private readonly brand: Brand
  ) {
    this.logoOrigin = brand.logoUrl ? new URL(brand.logoUrl).origin : undefined;
  }

  /** One message on one channel, in the locale asked for (English when unset or unknown). */
  renderOwnerMessage<C extends OwnerChannel>(request: OwnerMessageRequest<C>): RenderedMessage[C] {
    const locale = localeOf(request.locale);
    const message = this.library.messages[locale][request.type];
    const values = this.values(request.vars);
    const rendered: { [K in OwnerChannel]: () => RenderedMessage[K] } = {
      email: () => {
        const subject = oneLine(message.subject(values));
        const content = message.html(values);
        const html = this.library.emailLayout({ ...values, lang: locale, subject, content });
        return { subject, text: message.text(values).trim(), html };
      },
      sms: () => ({ text: message.sms(values).trim() }),
      whatsapp: () => ({
        template: message.whatsapp.template,
        language: message.whatsapp.language,
        parameters: message.whatsapp.parameters.map((parameter, i) => whatsAppParameter(parameter(values), i)),
      }),
    };
    return rendered[request.channel]();
  }

  /** The re-auth page's HTML: `view`'s title and message in `locale`, with the widget when given. */
  renderReauthPage({ view, locale, nonce, widget }: ReauthPageRequest): { title: string; html: string } {
    const page = this.library.pages[locale];
    const values = this.values({});
    const title = oneLine(page.views[view].title(values));
    const message = page.views[view].message(values).trim();
    const widgetText = Object.fromEntries(
      Object.entries(page.widget).map(([name, render]) => [name, oneLine(render(values))])
    ) as WidgetText;
    const html = this.library.pageLayout({
      ...values,
      lang: locale,
      title,
      message,
      nonce,
      widget: widget ? widget(widgetText) : '',
    });
    return { title, html };
  }

  /** Every value a template may name, null when not given (strict templates refuse names that are absent). */
  private values(vars: MessageVars): Record<string, string | null> {
    return {
      appName: vars.appName ?? this.brand.appName ?? null,
      logoUrl: vars.logoUrl ?? this.brand.logoUrl ?? null,
      link: vars.link ?? null,
    };
  }
}

/** A message's five files in one locale. */
function compileMessage(files: TemplateFiles, locale: OwnerLocale, type: OwnerMessageType): CompiledMessage {
  const folder = `${locale}/${type.slice('account.'.length)}`;
  const text = (name: string, html = false): Render =>
    files.compile(files.read(`${folder}/${name}`), SAMPLE_MESSAGE, html);
  return {
    subject: text('subject.txt'),
    text: text('email.txt'),
    html: text('email.html', true),
    sms: text('sms.txt'),
    whatsapp: compileWhatsApp(files, files.read(`${folder}/whatsapp.json`)),
  };
}

/**
 * whatsapp.json: `template` and `language` of the approved template, `parameters` (a template each, in the order
 * of the body's {{1}}, {{2}} …), and `body`, the approved text itself, kept to check that the counts agree.
 */
function compileWhatsApp(files: TemplateFiles, source: TemplateSource): CompiledMessage['whatsapp'] {
  const { template, language, body, parameters } = files.json(source);
  if (typeof template !== 'string' || template === '') throw files.problem(source, '"template" must be a name');
  if (typeof language !== 'string' || language === '') throw files.problem(source, '"language" must be a code');
  if (!Array.isArray(parameters) || parameters.some((p) => typeof p !== 'string'))
    throw files.problem(source, '"parameters" must be a list of texts');
  if (typeof body === 'string') {
    const placeholders = new Set(body.match(/\{\{\d+\}\}/g) ?? []).size;
    if (placeholders !== parameters.length)
      throw files.problem(source, `"body" has ${placeholders} placeholders but ${parameters.length} parameters`);
    if (/^\s*\{\{\d+\}\}|\{\{\d+\}\}\s*$/.test(body))
      throw files.problem(source, 'WhatsApp refuses a "body" that starts or ends with a placeholder');
  }
  return {
    template,
    language,
    parameters: (parameters as string[]).map((p) => files.compileText(source, p, SAMPLE_MESSAGE)),
  };
}

/** <locale>/reauth-page.json: a title and a message per view, and the widget's texts. */
function compilePage(files: TemplateFiles, locale: OwnerLocale): CompiledPage {
  const source = files.read(`${locale}/reauth-page.json`);
  const copy = files.json(source);
  const textAt = (group: string, name: string): Render => {
    const value = (copy[group] as Record<string, unknown> | undefined)?.[name];
    if (typeof value !== 'string') throw files.problem(source, `"${group}.${name}" is missing or not a text`);
    return files.compileText(source, value, SAMPLE_MESSAGE);
  };
  const views = PAGE_VIEWS.map((view) => [view, { title: textAt(view, 'title'), message: textAt(view, 'message') }]);
  const widget = WIDGET_TEXTS.map((name) => [name, textAt('widget', name)]);
  return {
    views: Object.fromEntries(views) as CompiledPage['views'],
    widget: Object.fromEntries(widget) as CompiledPage['widget'],
  };
}

const oneLine = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** WhatsApp refuses a parameter that is empty or holds new lines, tabs or more than four spaces in a row. */
function whatsAppParameter(text: string, index: number): string {
  const value = oneLine(text);
  if (value === '') {
    throw new Error(
      `WhatsApp parameter ${index + 1} is empty: set APP_NAME, or override whatsapp.json in TEMPLATES_DIR`
    );
  }
  return value;
}

let builtIn: OwnerMessages | undefined;

/** The built-in templates with no app name or logo: for parts started without loaded templates (tests, tools). */
export const builtInOwnerMessages = (): OwnerMessages => (builtIn ??= loadOwnerMessages());
