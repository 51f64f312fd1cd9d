import type { Id, WatchRepository } from '@signalbox/core';
import { type Kysely, sql } from 'kysely';
import type { Schema } from './schema';
import { isUuid } from './sql-support';

export class KyselyWatchRepository implements WatchRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  /** Inserts only when the pipeline is in the space; a repeat is a no-op. */
  async watch(spaceId: Id, pipelineId: Id, userId: Id, at: Date) {
    if (!isUuid(spaceId) || !isUuid(pipelineId) || !isUuid(userId)) return;
    await this.db
      .insertInto('watches')
      .columns(['space_id', 'pipeline_id', 'user_id', 'created_at'])
      .expression((eb) =>
        eb
          .selectFrom('pipelines')
          .select(['space_id', 'id', sql<string>`${userId}::uuid`.as('user_id'), sql<Date>`${at}::timestamptz`.as('created_at')])
          .where('space_id', '=', spaceId)
          .where('id', '=', pipelineId),
      )
      .onConflict((oc) => oc.columns(['pipeline_id', 'user_id']).doNothing())
      .execute();
  }

  async unwatch(spaceId: Id, pipelineId: Id, userId: Id) {
    if (!isUuid(spaceId) || !isUuid(pipelineId) || !isUuid(userId)) return;
    await this.db.deleteFrom('watches').where('space_id', '=', spaceId).where('pipeline_id', '=', pipelineId).where('user_id', '=', userId).execute();
  }

  async isWatching(spaceId: Id, pipelineId: Id, userId: Id) {
    if (!isUuid(spaceId) || !isUuid(pipelineId) || !isUuid(userId)) return false;
    const row = await this.db
      .selectFrom('watches')
      .select('user_id')
      .where('space_id', '=', spaceId)
      .where('pipeline_id', '=', pipelineId)
      .where('user_id', '=', userId)
      .executeTakeFirst();
    return row !== undefined;
  }
}
