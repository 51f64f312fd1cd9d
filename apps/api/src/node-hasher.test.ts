import { sha256 } from '@signalbox/core';
import { systemContract } from '@signalbox/core/testing';
import { timeOrderedIds } from '@signalbox/persistence-kysely';
import { nodeSha256 } from './node-hasher';

systemContract('time-ordered ids with Node SHA-256', timeOrderedIds, nodeSha256);

describe('Node SHA-256', () => {
  it('gives the digest Web Crypto gives, for every kind of text', async () => {
    const texts = [
      '',
      'abc',
      'sbx_0123456789abcdefghijklmnopqrstuvwxyz_ABCDEFGHIJ',
      'pipeline\nscheduled 2026-11-28T00:00:00.000Z',
      'é漢字🙂',
      'lone \ud800 surrogate',
      'x'.repeat(10_000),
    ];
    for (const text of texts) expect(await nodeSha256.hash(text)).toBe(await sha256.hash(text));
  });
});
