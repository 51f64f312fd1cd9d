import type { Ctx, Reply } from '../route';

/** Small builders of replies shared by the route files. */

export const ok = (json: unknown): Reply => ({ status: 200, json });
export const created = (json: unknown, location?: string): Reply => ({ status: 201, json, ...(location ? { headers: { Location: location } } : {}) });
export const noContent = (): Reply => ({ status: 204 });
/** A wire date-time (already checked by the schema) as a Date, keeping undefined and null. */
export const date = (s: string | null | undefined) => (s === undefined ? undefined : s === null ? null : new Date(s));
/** Where the router is mounted, for Location headers. */
export const base = (c: Ctx<unknown, unknown>) => c.req.baseUrl;
/** Prefix of the seed contract's routes. */
export const ORCHESTRATION = '/spaces/{slug}/orchestration';
