import type { Repositories } from '@signalbox/core';
import type { Kysely } from 'kysely';
import { KyselyCommentRepository } from './kysely-comment-repository';
import { KyselyConnectorRepository } from './kysely-connector-repository';
import { KyselyJobQueue } from './kysely-job-queue';
import { KyselyPipelineRepository } from './kysely-pipeline-repository';
import { KyselyPipelineVersionRepository } from './kysely-pipeline-version-repository';
import { KyselyRunRepository } from './kysely-run-repository';
import { KyselyMembershipRepository, KyselySpaceRepository } from './kysely-space-repository';
import { KyselySyncRepository } from './kysely-sync-repository';
import { KyselyTaskRunRepository } from './kysely-task-run-repository';
import { KyselyTeamRepository } from './kysely-team-repository';
import { type KyselyPersistenceOptions, KyselyUnitOfWork, repositoriesOn } from './kysely-unit-of-work';
import { KyselyApiKeyRepository, KyselyUserRepository } from './kysely-user-repository';
import { KyselyWatchRepository } from './kysely-watch-repository';
import type { Schema } from './schema';
import { SecretBox } from './secret-box';

export { type Database, fromPGlite, type OpenDatabaseOptions, openDatabase } from './database';
export { timeOrderedIds } from './ids';
export type { KeptSpaces } from './kept-spaces';
export { migrateToLatest } from './migrate';
export { migrations } from './migrations';
export { type Schema, TABLES } from './schema';
export { SecretBox } from './secret-box';
export { sqlClient } from './sql-client';
export type { KyselyPersistenceOptions };
export {
  KyselyApiKeyRepository,
  KyselyCommentRepository,
  KyselyConnectorRepository,
  KyselyJobQueue,
  KyselyMembershipRepository,
  KyselyPipelineRepository,
  KyselyPipelineVersionRepository,
  KyselyRunRepository,
  KyselySpaceRepository,
  KyselySyncRepository,
  KyselyTaskRunRepository,
  KyselyTeamRepository,
  KyselyUnitOfWork,
  KyselyUserRepository,
  KyselyWatchRepository,
};

/** Every repository of the core on one Kysely instance (PostgreSQL or PGlite). */
export function kyselyRepositories(db: Kysely<Schema>, opts: KyselyPersistenceOptions): Repositories {
  return repositoriesOn(db, new SecretBox(opts.secretKey), opts.ids, opts.kept);
}

/** The repositories and the unit of work over them, on one Kysely instance. */
export function kyselyPersistence(db: Kysely<Schema>, opts: KyselyPersistenceOptions): { repos: Repositories; uow: KyselyUnitOfWork } {
  const box = new SecretBox(opts.secretKey);
  return { repos: repositoriesOn(db, box, opts.ids, opts.kept), uow: new KyselyUnitOfWork(db, box, opts.ids) };
}
