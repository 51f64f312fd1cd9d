import { type Comment, type CommentRepository, type CommentTarget, type Id, notFound, type Paged, type PageRequest } from '@signalbox/core';
import type { Kysely, Selectable } from 'kysely';
import type { CommentsTable, Schema } from './schema';
import { isUuid, limitOffset, mustDate, toCount } from './sql-support';

const toComment = (r: Selectable<CommentsTable>): Comment => ({
  id: r.id,
  spaceId: r.space_id,
  target: r.run_id !== null ? { kind: 'run', id: r.run_id } : { kind: 'task_run', id: r.task_run_id! },
  authorId: r.author_id,
  body: r.body,
  createdAt: mustDate(r.created_at),
  updatedAt: mustDate(r.updated_at),
});

/**
 * Comments point at their target through one of two foreign keys (run_id, task_run_id), so
 * deleting a run or task run, or the connector above them, deletes its comments too.
 */
export class KyselyCommentRepository implements CommentRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async get(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return undefined;
    const row = await this.db.selectFrom('comments').selectAll().where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return row && toComment(row);
  }

  async list(spaceId: Id, target: CommentTarget, page: PageRequest): Promise<Paged<Comment>> {
    if (!isUuid(spaceId) || !isUuid(target.id)) return { items: [], total: 0 };
    const column = target.kind === 'run' ? 'run_id' : 'task_run_id';
    const filtered = this.db.selectFrom('comments').where('space_id', '=', spaceId).where(column, '=', target.id);
    const { limit, offset } = limitOffset(page);
    const [rows, count] = await Promise.all([
      filtered.selectAll().orderBy('created_at').orderBy('id').limit(limit).offset(offset).execute(),
      filtered.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: rows.map(toComment), total: toCount(count.n) };
  }

  /** Throws not_found when the target is not in the comment's space. */
  async create(c: Comment) {
    const table = c.target.kind === 'run' ? 'runs' : 'task_runs';
    const found = isUuid(c.target.id)
      ? await this.db.selectFrom(table).select('id').where('space_id', '=', c.spaceId).where('id', '=', c.target.id).executeTakeFirst()
      : undefined;
    if (!found) throw notFound(c.target.kind === 'run' ? 'run' : 'task run', c.target.id);
    await this.db
      .insertInto('comments')
      .values({
        id: c.id,
        space_id: c.spaceId,
        run_id: c.target.kind === 'run' ? c.target.id : null,
        task_run_id: c.target.kind === 'task_run' ? c.target.id : null,
        author_id: c.authorId,
        body: c.body,
        created_at: c.createdAt,
        updated_at: c.updatedAt,
      })
      .execute();
  }

  async updateBody(spaceId: Id, id: Id, body: string, at: Date) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db.updateTable('comments').set({ body, updated_at: at }).where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async delete(spaceId: Id, id: Id) {
    if (!isUuid(spaceId) || !isUuid(id)) return false;
    const r = await this.db.deleteFrom('comments').where('space_id', '=', spaceId).where('id', '=', id).executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }
}
