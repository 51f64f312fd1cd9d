import type { IdGenerator, Repositories, UnitOfWork } from '@signalbox/core';
import type { Kysely } from 'kysely';
import type { KeptSpaces } from './kept-spaces';
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
import { KyselyApiKeyRepository, KyselyUserRepository } from './kysely-user-repository';
import { KyselyWatchRepository } from './kysely-watch-repository';
import type { Schema } from './schema';
import type { SecretBox } from './secret-box';
import { inTransaction } from './sql-support';

export interface KyselyPersistenceOptions {
  /** Encrypts connector secrets at rest. */
  secretKey: string;
  ids: IdGenerator;
  /** The answers a conditional read may rest on (`Database.kept`, PostgreSQL only; ADR 0024). */
  kept?: KeptSpaces;
}

/** Every repository on `db`: the database itself, or one transaction of it (never given `kept`). */
export function repositoriesOn(db: Kysely<Schema>, box: SecretBox, ids: IdGenerator, kept?: KeptSpaces): Repositories {
  return {
    spaces: new KyselySpaceRepository(db, kept),
    users: new KyselyUserRepository(db),
    apiKeys: new KyselyApiKeyRepository(db),
    memberships: new KyselyMembershipRepository(db),
    teams: new KyselyTeamRepository(db),
    connectors: new KyselyConnectorRepository(db, box),
    pipelines: new KyselyPipelineRepository(db, ids),
    versions: new KyselyPipelineVersionRepository(db),
    watches: new KyselyWatchRepository(db),
    runs: new KyselyRunRepository(db, ids),
    taskRuns: new KyselyTaskRunRepository(db, ids),
    comments: new KyselyCommentRepository(db),
    syncs: new KyselySyncRepository(db),
    jobs: new KyselyJobQueue(db),
  };
}

/**
 * The unit of work on Kysely: `work` gets every repository bound to one `db.transaction()`, which
 * commits when it resolves and rolls back when it throws. Repositories are cheap to build; the
 * secret box (its key derivation is not) is shared.
 */
export class KyselyUnitOfWork implements UnitOfWork {
  constructor(
    private readonly db: Kysely<Schema>,
    private readonly box: SecretBox,
    private readonly ids: IdGenerator,
  ) {}

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return inTransaction(this.db, (trx) => work(repositoriesOn(trx, this.box, this.ids)));
  }
}
