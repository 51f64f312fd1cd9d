import type { Id, Job, JobDepth, JobQueue, NewJob } from '@signalbox/core';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { JobsTable, Schema } from './schema';
import { isUuid, mustDate, toDate } from './sql-support';

const toJob = (r: Selectable<JobsTable>): Job => ({
  id: r.id,
  name: r.name,
  key: r.key,
  payload: r.payload,
  runAt: mustDate(r.run_at),
  attempts: r.attempts,
  leaseToken: r.lease_token,
  leaseUntil: toDate(r.lease_until),
  lastError: r.last_error,
  createdAt: mustDate(r.created_at),
});

const byDue = (a: Job, b: Job) => a.runAt.getTime() - b.runAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The job queue in the `jobs` table, the same SQL on PostgreSQL and PGlite. Claims lock due rows
 * with FOR UPDATE SKIP LOCKED, so concurrent claimers split the work instead of waiting on each
 * other; every later write is conditioned on the claim's lease token, which fences out a worker
 * whose lease expired and whose job another claim took.
 */
export class KyselyJobQueue implements JobQueue {
  constructor(private readonly db: Kysely<Schema>) {}

  async enqueue(job: NewJob, id: Id, now: Date): Promise<{ added: boolean; job: Job }> {
    for (let attempt = 1; ; attempt++) {
      const inserted = await this.db
        .insertInto('jobs')
        .values({ id, name: job.name, key: job.key, payload: JSON.stringify(job.payload), run_at: job.runAt ?? now, created_at: now })
        .onConflict((oc) => oc.column('key').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { added: true, job: toJob(inserted) };
      const existing = await this.get(job.key);
      if (existing) return { added: false, job: existing };
      // The holder of the key ended between the insert and the read: try again.
      if (attempt >= 10) throw new Error(`could not enqueue job '${job.key}': its key kept being freed and taken`);
    }
  }

  async claim(names: string[], token: string, now: Date, leaseUntil: Date, limit: number): Promise<Job[]> {
    if (names.length === 0 || limit <= 0) return [];
    const rows = await this.db
      .updateTable('jobs')
      .set((eb) => ({ lease_token: token, lease_until: leaseUntil, attempts: eb('attempts', '+', 1) }))
      .where('id', 'in', (eb) =>
        eb
          .selectFrom('jobs')
          .select('id')
          .where('name', 'in', names)
          .where('run_at', '<=', now)
          .where((w) => w.or([w('lease_until', 'is', null), w('lease_until', '<', now)]))
          .orderBy('run_at')
          .orderBy('id')
          .limit(limit)
          .forUpdate()
          .skipLocked(),
      )
      .returningAll()
      .execute();
    return rows.map(toJob).sort(byDue);
  }

  async heartbeat(id: Id, token: string, leaseUntil: Date): Promise<boolean> {
    if (!isUuid(id)) return false;
    const r = await this.db.updateTable('jobs').set({ lease_until: leaseUntil }).where('id', '=', id).where('lease_token', '=', token).executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async complete(id: Id, token: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const r = await this.db.deleteFrom('jobs').where('id', '=', id).where('lease_token', '=', token).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  async fail(id: Id, token: string, error: string, retryAt: Date | null): Promise<boolean> {
    if (retryAt === null) return this.complete(id, token);
    if (!isUuid(id)) return false;
    const r = await this.db
      .updateTable('jobs')
      .set({ run_at: retryAt, lease_token: null, lease_until: null, last_error: error })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async release(id: Id, token: string): Promise<boolean> {
    if (!isUuid(id)) return false;
    const r = await this.db
      .updateTable('jobs')
      .set({ lease_token: null, lease_until: null })
      .where('id', '=', id)
      .where('lease_token', '=', token)
      .executeTakeFirst();
    return r.numUpdatedRows > 0n;
  }

  async get(key: string): Promise<Job | undefined> {
    const row = await this.db.selectFrom('jobs').selectAll().where('key', '=', key).executeTakeFirst();
    return row && toJob(row);
  }

  async depth(now: Date): Promise<JobDepth[]> {
    const rows = await this.db
      .selectFrom('jobs')
      .select([
        'name',
        sql<string>`count(*) FILTER (WHERE lease_until IS NULL OR lease_until < ${now})`.as('waiting'),
        sql<string>`count(*) FILTER (WHERE lease_until >= ${now})`.as('running'),
      ])
      .where((w) => w.or([w('run_at', '<=', now), w('lease_until', '>=', now)]))
      .groupBy('name')
      .orderBy('name')
      .execute();
    return rows.map((r) => ({ name: r.name, waiting: Number(r.waiting), running: Number(r.running) }));
  }
}
