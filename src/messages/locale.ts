/**
 * Which language an owner reads. A message uses the language registered with the owner's contact; the re-auth page
 * uses the link's `lang` parameter (added to links issued for owners with another language than English), else the
 * browser's Accept-Language, else English. Links issued before `lang` existed carry none and keep working.
 */
import { OWNER_LOCALES, type OwnerLocale } from '../workflows/account-lifecycle/model/types.js';

export { OWNER_LOCALES, type OwnerLocale };

export const DEFAULT_LOCALE: OwnerLocale = 'en';

export const isOwnerLocale = (value: unknown): value is OwnerLocale =>
  typeof value === 'string' && (OWNER_LOCALES as readonly string[]).includes(value);

/** The owner's language, English when none (or one this build does not have) is registered. */
export const localeOf = (locale: string | null | undefined): OwnerLocale =>
  isOwnerLocale(locale) ? locale : DEFAULT_LOCALE;

/**
 * The `lang` a link issued for this owner carries: none for English, which the page falls back to anyway, so that a
 * link in an English SMS stays as short as it can be.
 */
export const linkLanguage = (locale: string | null | undefined): OwnerLocale | undefined =>
  isOwnerLocale(locale) && locale !== DEFAULT_LOCALE ? locale : undefined;

/** The re-auth page's language: the link's `lang` when supported, else the browser's preference, else English. */
export function pageLocale(lang: string | undefined, acceptLanguage: string | undefined): OwnerLocale {
  if (isOwnerLocale(lang)) return lang;
  return preferredLocale(acceptLanguage ?? '') ?? DEFAULT_LOCALE;
}

/** The supported language an Accept-Language header ranks highest (`sw-KE` counts as `sw`), if any. */
export function preferredLocale(acceptLanguage: string): OwnerLocale | undefined {
  const ranked = acceptLanguage
    .split(',')
    .slice(0, 20)
    .map((entry, index) => {
      const [tag = '', ...params] = entry.trim().split(';');
      const q = params.map((p) => /^\s*q=([\d.]+)\s*$/i.exec(p)?.[1]).find((v) => v !== undefined);
      return { language: tag.trim().toLowerCase().split('-')[0], q: q === undefined ? 1 : Number(q), index };
    })
    .filter(({ q }) => Number.isFinite(q) && q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map(({ language }) => language).find(isOwnerLocale);
}
