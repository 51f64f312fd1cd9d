import type { IdGenerator, Repositories } from '@signalbox/core';
import type { Kysely } from 'kysely';
import { KyselyCommentRepository } from './kysely-comment-repository';
import { KyselyConnectorRepository } from './kysely-connector-repository';
import { KyselyJobQueue } from './kysely-job-queue';
import { KyselyPipelineRepository } from './kysely-pipeline-repository';
import { KyselyRunRepository } from './kysely-run-repository';
import { KyselyMembershipRepository, KyselySpaceRepository } from './kysely-space-repository';
import { KyselySyncRepository } from './kysely-sync-repository';
import { KyselyTaskRunRepository } from './kysely-task-run-repository';
import { KyselyTeamRepository } from './kysely-team-repository';
import { KyselyApiKeyRepository, KyselyUserRepository } from './kysely-user-repository';
import { KyselyWatchRepository } from './kysely-watch-repository';
import type { Schema } from './schema';
import { SecretBox } from './secret-box';

export { type Database, fromPGlite, type OpenDatabaseOptions, openDatabase } from './database';
export { migrateToLatest } from './migrate';
export { migrations } from './migrations';
export { type Schema, TABLES } from './schema';
export { SecretBox } from './secret-box';
export {
  KyselyApiKeyRepository,
  KyselyCommentRepository,
  KyselyConnectorRepository,
  KyselyJobQueue,
  KyselyMembershipRepository,
  KyselyPipelineRepository,
  KyselyRunRepository,
  KyselySpaceRepository,
  KyselySyncRepository,
  KyselyTaskRunRepository,
  KyselyTeamRepository,
  KyselyUserRepository,
  KyselyWatchRepository,
};

/** Every repository of the core on one Kysely instance (PostgreSQL or PGlite). */
export function kyselyRepositories(db: Kysely<Schema>, opts: { secretKey: string; ids: IdGenerator }): Repositories {
  const box = new SecretBox(opts.secretKey);
  return {
    spaces: new KyselySpaceRepository(db),
    users: new KyselyUserRepository(db),
    apiKeys: new KyselyApiKeyRepository(db),
    memberships: new KyselyMembershipRepository(db),
    teams: new KyselyTeamRepository(db),
    connectors: new KyselyConnectorRepository(db, box),
    pipelines: new KyselyPipelineRepository(db, opts.ids),
    watches: new KyselyWatchRepository(db),
    runs: new KyselyRunRepository(db, opts.ids),
    taskRuns: new KyselyTaskRunRepository(db, opts.ids),
    comments: new KyselyCommentRepository(db),
    syncs: new KyselySyncRepository(db),
    jobs: new KyselyJobQueue(db),
  };
}
