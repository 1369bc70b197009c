import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration, parseDurationList } from '../../src/lib/duration.js';

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['90s', 90_000],
    ['10m', 600_000],
    ['2h', 7_200_000],
    ['7d', 604_800_000],
  ])('parses %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '10', 'm', '1.5h', '-1m', '2 w', '1h30m'])('refuses %j with the accepted forms', (text) => {
    expect(() => parseDuration(text)).toThrow(/write it like 90s, 10m, 2h or 7d/);
  });

  it('parses lists and formats back', () => {
    expect(parseDurationList('2m, 10m,30m')).toEqual([120_000, 600_000, 1_800_000]);
    expect(() => parseDurationList('2m,,3m')).toThrow();
    expect(formatDuration(604_800_000)).toBe('7d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(formatDuration(1_500)).toBe('1500ms');
  });
});
