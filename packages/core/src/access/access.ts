import type { Id } from '../common';
import { invalid } from '../errors';

export interface User {
  id: Id;
  email: string;
  name: string;
  instanceAdmin: boolean;
  createdAt: Date;
}

/** An API key as stored: only its hash, never the key itself. */
export interface ApiKey {
  id: Id;
  userId: Id;
  name: string;
  /** The first characters of the key, shown so a person can tell keys apart. */
  prefix: string;
  hash: string;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Who is calling: the authenticated user. */
export interface Actor {
  userId: Id;
  instanceAdmin: boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function checkEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e) || e.length > 320) throw invalid('email', 'must be an email address');
  return e;
}

/** Prefix every key carries, so leaked keys are easy to find by scanners. */
export const KEY_PREFIX = 'sbx_';
export const KEY_PREFIX_LENGTH = 12;

export const isUsable = (key: ApiKey, now: Date) => key.revokedAt === null && (key.expiresAt === null || key.expiresAt.getTime() > now.getTime());
