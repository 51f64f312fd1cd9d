/** Time, so use cases are deterministic under test. */
export interface Clock {
  now(): Date;
}

/** Identifiers and secrets. */
export interface IdGenerator {
  /** A new unique id. */
  id(): string;
  /** A random secret of `bytes` bytes, url-safe base64 encoded. */
  secret(bytes: number): string;
}

/** One-way hashing of high-entropy secrets (API keys) and of idempotency keys. */
export interface Hasher {
  /** Hex digest; equal inputs give equal outputs. */
  hash(value: string): Promise<string>;
}

/** Structured logging; adapters bind it to their logger. */
export interface Logger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export const systemClock: Clock = { now: () => new Date() };

const base64url = (bytes: Uint8Array) => {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

/** Ids and secrets from the runtime's Web Crypto (a global in Node 20, no import needed). */
export const randomIds: IdGenerator = {
  id: () => crypto.randomUUID(),
  secret: (bytes) => base64url(crypto.getRandomValues(new Uint8Array(bytes))),
};

/** SHA-256 through Web Crypto. API keys are 32 random bytes, so a fast hash is the right one. */
export const sha256: Hasher = {
  async hash(value) {
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  },
};

export const silentLogger: Logger = { info() {}, warn() {}, error() {} };
