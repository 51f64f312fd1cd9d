import { timeOrderedIds } from './ids';

describe('time-ordered ids', () => {
  it('are version 7 UUIDs that increase, also within one millisecond', () => {
    const ids = Array.from({ length: 2_000 }, () => timeOrderedIds.id());
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('carry the time they were made in their first 48 bits', () => {
    const before = Date.now();
    const id = timeOrderedIds.id();
    const ms = Number.parseInt(id.replace('-', '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now());
  });

  it('leave secrets random', () => {
    expect(timeOrderedIds.secret(32)).not.toBe(timeOrderedIds.secret(32));
    expect(timeOrderedIds.secret(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});
