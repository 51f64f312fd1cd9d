import { hash } from 'node:crypto';
import type { Tagged } from '@signalbox/core';
import type { Ctx, Reply } from '../route';

/** Small builders of replies shared by the route files. */

export const ok = (json: unknown): Reply => ({ status: 200, json });
export const created = (json: unknown, location?: string): Reply => ({ status: 201, json, ...(location ? { headers: { Location: location } } : {}) });
export const noContent = (): Reply => ({ status: 204 });
/** A wire date-time (already checked by the schema) as a Date, keeping undefined and null. */
export const date = (s: string | null | undefined) => (s === undefined ? undefined : s === null ? null : new Date(s));
/** The If-None-Match header a conditional GET takes (RFC 9110 §13.1.2). */
export const ifNoneMatch = {
  name: 'If-None-Match',
  description:
    'The `ETag` of an earlier answer (several, comma-separated, or `*` on lists): 304 with no body while nothing it shows has changed, for up to a minute (summaries are over a window that moves).',
  schema: { type: 'string' },
};

/**
 * What an ETag names besides the core's tag (the data it was read at, the reader, the minute):
 * the resource and its representation, the request's path and query. A tag held for one URL
 * never answers for another.
 */
const scopeOf = (c: Ctx<unknown, unknown>) => {
  let scope = scopes.get(c.req);
  if (scope === undefined) {
    scope = hash('sha1', c.req.originalUrl, 'base64url').slice(0, 12);
    scopes.set(c.req, scope);
  }
  return scope;
};
/** Each request's scope, worked out once: a conditional answer reads it for the held tags and for its ETag. */
const scopes = new WeakMap<object, string>();

/** One entity tag of an If-None-Match list, weak or strong: its opaque part. */
const ENTITY_TAG = /(?:W\/)?"([^"]*)"/g;

/**
 * The core tags an If-None-Match header holds for this URL (weak or strong alike, as GET compares
 * weakly), or `*`.
 */
export function heldTags(c: Ctx<unknown, unknown>): string[] {
  const header = c.header('if-none-match');
  if (!header) return [];
  if (header.trim() === '*') return ['*'];
  const scope = `.${scopeOf(c)}`;
  const held: string[] = [];
  for (const [, tag] of header.matchAll(ENTITY_TAG)) if (tag.endsWith(scope)) held.push(tag.slice(0, -scope.length));
  return held;
}

/** The headers of a tagged answer: a weak ETag (equal answers within the tag's minute may differ in their summaries' window start). */
const tagHeaders = (c: Ctx<unknown, unknown>, tagged: Tagged<unknown>): Record<string, string> => ({
  ETag: `W/"${tagged.tag}.${scopeOf(c)}"`,
  'Cache-Control': 'private, no-cache',
  Vary: 'Authorization, Api-key',
});

/** 304 with the ETag when the caller holds the answer, else what `answer` makes of it. */
export const conditional = <T>(c: Ctx<unknown, unknown>, tagged: Tagged<T>, answer: (value: T, headers: Record<string, string>) => Reply): Reply =>
  tagged.value === null ? { status: 304, headers: tagHeaders(c, tagged) } : answer(tagged.value, tagHeaders(c, tagged));

/** Where the router is mounted, for Location headers. */
export const base = (c: Ctx<unknown, unknown>) => c.req.baseUrl;
/** Prefix of the seed contract's routes. */
export const ORCHESTRATION = '/spaces/{slug}/orchestration';
