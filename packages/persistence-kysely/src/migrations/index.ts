import type { Migration } from 'kysely/migration';
import * as initial from './2026-11-22T05-00-00-initial';
import * as pipelineSearchText from './2026-11-22T05-30-00-pipeline-search-text';
import * as livePipelinesIndex from './2026-11-22T05-45-00-live-pipelines-index';
import * as searchTextDefaultCollation from './2026-11-22T06-00-00-search-text-default-collation';
import * as spaceBoundReferences from './2026-11-27T09-00-00-space-bound-references';
import * as runRequestHash from './2026-11-27T09-10-00-run-request-hash';
import * as jobsAndSyncSchedule from './2026-11-27T14-00-00-jobs-and-sync-schedule';
import * as managedPipelines from './2026-11-27T15-00-00-managed-pipelines';
import * as rateLimits from './2026-11-27T16-00-00-rate-limits';
import * as managedRuns from './2026-11-27T17-00-00-managed-runs';
import * as syncTimesInMilliseconds from './2026-11-27T17-30-00-sync-times-in-milliseconds';
import * as spaceListState from './2026-11-28T05-00-00-space-list-state';
import * as impliedSpaceKeys from './2026-11-28T07-30-00-implied-space-keys';
import * as failingPipelinesIndex from './2026-11-28T10-30-00-failing-pipelines-index';
import * as taskRunsRunCheckPerStatement from './2026-11-29T07-30-00-task-runs-run-check-per-statement';
import * as spaceChangeNotices from './2026-11-29T13-00-00-space-change-notices';

/** Every migration, by name. Names sort in the order they apply (ISO timestamps). */
export const migrations: Record<string, Migration> = {
  '2026-11-22T05-00-00-initial': initial,
  '2026-11-22T05-30-00-pipeline-search-text': pipelineSearchText,
  '2026-11-22T05-45-00-live-pipelines-index': livePipelinesIndex,
  '2026-11-22T06-00-00-search-text-default-collation': searchTextDefaultCollation,
  '2026-11-27T09-00-00-space-bound-references': spaceBoundReferences,
  '2026-11-27T09-10-00-run-request-hash': runRequestHash,
  '2026-11-27T14-00-00-jobs-and-sync-schedule': jobsAndSyncSchedule,
  '2026-11-27T15-00-00-managed-pipelines': managedPipelines,
  '2026-11-27T16-00-00-rate-limits': rateLimits,
  '2026-11-27T17-00-00-managed-runs': managedRuns,
  '2026-11-27T17-30-00-sync-times-in-milliseconds': syncTimesInMilliseconds,
  '2026-11-28T05-00-00-space-list-state': spaceListState,
  '2026-11-28T07-30-00-implied-space-keys': impliedSpaceKeys,
  '2026-11-28T10-30-00-failing-pipelines-index': failingPipelinesIndex,
  '2026-11-29T07-30-00-task-runs-run-check-per-statement': taskRunsRunCheckPerStatement,
  '2026-11-29T13-00-00-space-change-notices': spaceChangeNotices,
};
