import type { DefinitionFormat, Id, Paged, PageRequest, PipelineSpec, PipelineVersion, PipelineVersionRepository } from '@signalbox/core';
import type { Kysely, Selectable } from 'kysely';
import type { PipelineVersionsTable, Schema } from './schema';
import { isUuid, limitOffset, mustDate, toCount, uniquely } from './sql-support';

const toVersion = (r: Selectable<PipelineVersionsTable>): PipelineVersion => ({
  id: r.id,
  spaceId: r.space_id,
  pipelineId: r.pipeline_id,
  number: r.number,
  version: r.version,
  specHash: r.spec_hash,
  source: r.source,
  format: r.format as DefinitionFormat,
  spec: r.spec as unknown as PipelineSpec,
  createdBy: r.created_by,
  createdAt: mustDate(r.created_at),
  message: r.message,
});

export class KyselyPipelineVersionRepository implements PipelineVersionRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async create(v: PipelineVersion) {
    await uniquely(
      () =>
        this.db
          .insertInto('pipeline_versions')
          .values({
            id: v.id,
            space_id: v.spaceId,
            pipeline_id: v.pipelineId,
            number: v.number,
            version: v.version,
            spec_hash: v.specHash,
            source: v.source,
            format: v.format,
            spec: JSON.stringify(v.spec),
            created_by: v.createdBy,
            created_at: v.createdAt,
            message: v.message,
          })
          .execute(),
      'VERSION_CONFLICT',
      `the pipeline already has a version ${v.number}`,
    );
  }

  async get(spaceId: Id, pipelineId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(pipelineId) || !isUuid(id)) return undefined;
    const row = await this.db
      .selectFrom('pipeline_versions')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('pipeline_id', '=', pipelineId)
      .where('id', '=', id)
      .executeTakeFirst();
    return row && toVersion(row);
  }

  async getByNumber(spaceId: Id, pipelineId: Id, number: number) {
    if (!isUuid(spaceId) || !isUuid(pipelineId)) return undefined;
    const row = await this.db
      .selectFrom('pipeline_versions')
      .selectAll()
      .where('space_id', '=', spaceId)
      .where('pipeline_id', '=', pipelineId)
      .where('number', '=', number)
      .executeTakeFirst();
    return row && toVersion(row);
  }

  async list(spaceId: Id, pipelineId: Id, page: PageRequest): Promise<Paged<PipelineVersion>> {
    if (!isUuid(spaceId) || !isUuid(pipelineId)) return { items: [], total: 0 };
    const { limit, offset } = limitOffset(page);
    const scope = () => this.db.selectFrom('pipeline_versions').where('space_id', '=', spaceId).where('pipeline_id', '=', pipelineId);
    const [rows, count] = await Promise.all([
      scope().selectAll().orderBy('number', 'desc').limit(limit).offset(offset).execute(),
      scope()
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toVersion), total: toCount(count.n) };
  }
}
