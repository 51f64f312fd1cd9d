import { hash } from 'node:crypto';
import type { Hasher } from '@signalbox/core';

/**
 * The core's SHA-256 (`sha256`, Web Crypto) on Node's own crypto: the same hex digest of the same
 * UTF-8 bytes, so stored key hashes and run ids derived from hashes stay valid. Web Crypto's
 * digest is a job on libuv's thread pool, about 48 µs a call here against 0.6 µs for this one-shot
 * digest (1 µs with a Hash object);
 * every authenticated request hashes its key, and a trigger hashes two or three values more.
 */
export const nodeSha256: Hasher = {
  hash: (value) => Promise.resolve(hash('sha256', value, 'hex')),
};
