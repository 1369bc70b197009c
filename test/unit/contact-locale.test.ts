/** The owner's `locale`, checked at the edge (the admin API's schema) and again by the workflow (its payload check). */
import { describe, expect, it } from 'vitest';
import { ContactBody, issues } from '../../src/server/admin/schemas.js';
import { contactFrom } from '../../src/workflows/account-lifecycle/api/payloads.js';
import type { Contact } from '../../src/workflows/account-lifecycle/model/types.js';

describe('a contact with a locale', () => {
  it('is accepted at the edge for a supported locale, and null clears it', () => {
    expect(ContactBody.parse({ locale: 'sw' })).toEqual({ locale: 'sw' });
    expect(ContactBody.parse({ email: 'o@example.com', locale: null })).toEqual({
      email: 'o@example.com',
      locale: null,
    });
  });

  it('is refused at the edge with a message naming the supported locales', () => {
    for (const locale of ['fr', 'SW', 'sw-KE', '', 7]) {
      const result = ContactBody.safeParse({ locale });
      expect(result.success, String(locale)).toBe(false);
      expect(issues(result.error!)).toBe('locale: must be one of en, sw');
    }
    expect(issues(ContactBody.safeParse({}).error!)).toBe(
      'body: give email, timeZone, locale, phone and/or whatsApp (null clears one)'
    );
  });

  it('is kept by the workflow, and a payload with an unknown one is ignored as a whole', () => {
    expect(contactFrom({ locale: 'sw' })).toEqual({ locale: 'sw' });
    expect(contactFrom({ email: 'o@example.com', locale: null })).toEqual({ email: 'o@example.com', locale: null });
    expect(contactFrom({ email: 'o@example.com', locale: 'fr' } as unknown as Contact)).toBeUndefined();
    expect(contactFrom({ timeZone: 'Africa/Nairobi' })).toEqual({ timeZone: 'Africa/Nairobi' });
  });
});
