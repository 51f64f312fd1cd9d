import { ApiError, type components, Signalbox, SignalboxError } from '@signalbox/client';

export type Schemas = components['schemas'];
export type Pipeline = Schemas['Pipeline'];
export type PipelineDetail = Schemas['PipelineDetail'];
export type Run = Schemas['Run'];
export type RunDetail = Schemas['RunDetail'];
export type TaskRun = Schemas['TaskRun'];
export type Comment = Schemas['Comment'];
export type Team = Schemas['Team'];
export type User = Schemas['User'];
export type Space = Schemas['Space'];
export type PipelineVersion = Schemas['PipelineVersion'];
export type VersionDiff = Schemas['VersionDiff'];
export type ErrorDetail = Schemas['ErrorDetail'];
export type Validation = Schemas['Validation'];

/** A page of a list, with what its pagination headers say. */
export interface ListPage<T> {
  items: T[];
  total: number;
  page: number;
  totalPages: number;
}

/** A client of this server (the console is served by the API it calls) with the signed-in key, in one space. */
export function clientFor(apiKey: string, space?: string): Signalbox {
  return new Signalbox({ url: window.location.origin, apiKey, ...(space ? { space } : {}) });
}

/**
 * Awaits an openapi-fetch list call: its items and the pagination headers (`X-Total-Count`,
 * `X-Page`, `X-Total-Pages`), or the API's error.
 */
export async function listPage<T>(request: Promise<{ data?: T[]; error?: unknown; response: Response }>): Promise<ListPage<T>> {
  const { data, error, response } = await request;
  if (!response.ok || !data) throw await ApiError.from(response, error);
  const header = (name: string, fallback: number) => {
    const value = Number(response.headers.get(name));
    return Number.isFinite(value) && response.headers.has(name) ? value : fallback;
  };
  return { items: data, total: header('x-total-count', data.length), page: header('x-page', 1), totalPages: header('x-total-pages', 1) };
}

/** What to show for a failed call: the API's own `error.message` (with its details), or the error's message. */
export function errorText(err: unknown): string {
  if (err instanceof ApiError) {
    const details = err.details.map((d) => [d.field, d.line === undefined ? undefined : `line ${d.line}`, d.reason].filter(Boolean).join(': '));
    return [err.message, ...details].join(' — ');
  }
  if (err instanceof SignalboxError || err instanceof Error) return err.message;
  return String(err);
}

/** Whether the error means the key is no longer good: the console then asks to sign in again. */
export const isUnauthorized = (err: unknown) => err instanceof ApiError && err.status === 401;
