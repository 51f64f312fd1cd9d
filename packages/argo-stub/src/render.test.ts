import { iso } from './render';

describe('iso', () => {
  it('renders a time as RFC 3339 in whole seconds, as toISOString would without the milliseconds', () => {
    expect(iso(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe('2026-01-02T03:04:05Z');
    expect(iso(Date.UTC(1999, 11, 31, 23, 59, 59))).toBe('1999-12-31T23:59:59Z');
    expect(iso(0)).toBe('1970-01-01T00:00:00Z');
    // Years of other than four digits take toISOString's form.
    expect(iso(Date.UTC(12000, 5, 1))).toBe('+012000-06-01T00:00:00Z');
    for (let ms = Date.UTC(2020, 1, 28, 22); ms < Date.UTC(2028, 0, 1); ms += 86_399_937) {
      expect(iso(ms)).toBe(new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z'));
    }
  });
});
