import type { Hasher, IdGenerator } from '../../ports/system';

/** What use cases rely on from ids, secrets and hashes. */
export function systemContract(name: string, ids: IdGenerator, hasher: Hasher): void {
  describe(`IdGenerator and Hasher contract: ${name}`, () => {
    it('makes unique ids', () => {
      const made = Array.from({ length: 1000 }, () => ids.id());
      expect(new Set(made).size).toBe(1000);
    });

    it('makes url-safe secrets long enough for their bytes, never twice the same', () => {
      const a = ids.secret(32);
      const b = ids.secret(32);
      expect(a).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(a.length).toBeGreaterThanOrEqual(43);
      expect(a).not.toBe(b);
    });

    it('hashes deterministically to hex, different inputs to different digests', async () => {
      expect(await hasher.hash('abc')).toBe(await hasher.hash('abc'));
      expect(await hasher.hash('abc')).toMatch(/^[0-9a-f]+$/);
      expect(await hasher.hash('abc')).not.toBe(await hasher.hash('abd'));
    });
  });
}
