import type { Id } from '../common';
import { invalid } from '../errors';

/** A tenant. Everything below it is scoped to one space. */
export interface Space {
  id: Id;
  slug: string;
  name: string;
  createdAt: Date;
}

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{1,62}$/;

export function checkSlug(slug: string): string {
  if (!SLUG_PATTERN.test(slug)) {
    throw invalid('slug', 'must be 2-63 characters of a-z, 0-9 and -, starting with a letter or digit');
  }
  return slug;
}

/** Trims a display name and checks its length (1..max). */
export function checkName(name: string, field = 'name', max = 200): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw invalid(field, 'must not be empty');
  if (trimmed.length > max) throw invalid(field, `must be at most ${max} characters`);
  return trimmed;
}

export const ROLES = ['viewer', 'editor', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export function checkRole(role: string): Role {
  if (!(ROLES as readonly string[]).includes(role)) throw invalid('role', `must be one of ${ROLES.join(', ')}`);
  return role as Role;
}

export interface Membership {
  spaceId: Id;
  userId: Id;
  role: Role;
  createdAt: Date;
}

/** An owning team inside a space. Names are unique per space, case-insensitively. */
export interface Team {
  id: Id;
  spaceId: Id;
  name: string;
  createdAt: Date;
}
