import { describe, expect, it } from 'vitest';
import { deferOutOfQuietHours, isValidTimeZone } from '../../src/workflows/account-lifecycle/model/quiet-hours.js';

const lagos = (iso: string) => Date.parse(`${iso}+01:00`); // Africa/Lagos is UTC+1 all year

describe('deferOutOfQuietHours (21:00-08:00, Africa/Lagos)', () => {
  it.each([
    ['2026-11-24T20:59:59', '2026-11-24T20:59:59'],
    ['2026-11-24T21:00:00', '2026-11-25T08:00:00'],
    ['2026-11-24T23:30:15', '2026-11-25T08:00:00'],
    ['2026-11-25T03:00:00', '2026-11-25T08:00:00'],
    ['2026-11-25T07:59:59', '2026-11-25T08:00:00'],
    ['2026-11-25T08:00:00', '2026-11-25T08:00:00'],
    ['2026-11-25T12:00:00', '2026-11-25T12:00:00'],
  ])('%s local → %s local', (at, expected) => {
    expect(deferOutOfQuietHours(lagos(at), '21:00-08:00', 'Africa/Lagos')).toBe(lagos(expected));
  });

  it('handles a window inside one day and other time zones', () => {
    expect(deferOutOfQuietHours(lagos('2026-11-24T13:30:00'), '13:00-14:00', 'Africa/Lagos')).toBe(
      lagos('2026-11-24T14:00:00')
    );
    // 22:00 in Nairobi (UTC+3) is 20:00 in Lagos: quiet there, not here.
    expect(deferOutOfQuietHours(Date.parse('2026-11-24T19:00:00Z'), '21:00-08:00', 'Africa/Nairobi')).toBe(
      Date.parse('2026-11-25T05:00:00Z')
    );
  });

  it('validates time zones', () => {
    expect(isValidTimeZone('Africa/Lagos')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
  });
});
