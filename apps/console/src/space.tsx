import type { Signalbox } from '@signalbox/client';
import { useQuery } from '@tanstack/react-query';
import { useParams } from 'react-router';
import { useClient } from './auth';
import type { PipelineDetail, Schemas } from './lib/api';

export type Role = 'viewer' | 'editor' | 'admin';
const RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

export interface SpaceContext {
  slug: string;
  sb: Signalbox;
  /** The caller's role here, once read (null before). */
  role: Role | null;
  can: (needed: Role) => boolean;
  /** Where a page of this space lives in the console. */
  href: (path: string) => string;
}

/** The space of the page (`/s/:space/…`), its client and the caller's role in it. */
export function useSpace(): SpaceContext {
  const { space = '' } = useParams();
  const sb = useClient(space);
  const detail = useQuery({
    queryKey: ['space', space],
    queryFn: (): Promise<Schemas['SpaceDetail']> => sb.call(sb.raw.GET('/api/v1.0/spaces/{slug}', { params: { path: { slug: space } } })),
    staleTime: 60_000,
  });
  const role = detail.data?.role ?? null;
  return {
    slug: space,
    sb,
    role,
    can: (needed) => role !== null && RANK[role] >= RANK[needed],
    href: (path) => `/s/${encodeURIComponent(space)}${path}`,
  };
}

/** One pipeline of the space, as every page reads it: one cache entry per pipeline. */
export const pipelineQuery = (space: SpaceContext, pipelineId: string) => ({
  queryKey: ['pipeline', space.slug, pipelineId],
  queryFn: (): Promise<PipelineDetail> =>
    space.sb.call(
      space.sb.raw.GET('/api/v1.0/spaces/{slug}/orchestration/pipelines/{pipeline_id}', { params: { path: { slug: space.slug, pipeline_id: pipelineId } } }),
    ),
});
