import type { Job, JobDepth, JobQueue, NewJob } from '../background/job-queue';
import type { Id } from '../common';

const copy = (j: Job): Job => structuredClone(j);

/** The job queue in memory: one process only, for tests and the in-memory wiring. */
export class InMemoryJobQueue implements JobQueue {
  /** `jobs` may be a table of a larger store, so a unit of work over it covers the queue too. */
  constructor(private readonly jobs = new Map<Id, Job>()) {}

  async enqueue(job: NewJob, id: Id, now: Date) {
    const existing = [...this.jobs.values()].find((j) => j.key === job.key);
    if (existing) return { added: false, job: copy(existing) };
    const added: Job = {
      id,
      name: job.name,
      key: job.key,
      payload: structuredClone(job.payload),
      runAt: job.runAt ?? now,
      attempts: 0,
      leaseToken: null,
      leaseUntil: null,
      lastError: null,
      createdAt: now,
    };
    this.jobs.set(id, added);
    return { added: true, job: copy(added) };
  }

  async claim(names: string[], token: string, now: Date, leaseUntil: Date, limit: number) {
    const due = [...this.jobs.values()]
      .filter((j) => names.includes(j.name) && j.runAt <= now && (j.leaseUntil === null || j.leaseUntil < now))
      .sort((a, b) => a.runAt.getTime() - b.runAt.getTime() || (a.id < b.id ? -1 : 1))
      .slice(0, limit);
    for (const j of due) Object.assign(j, { leaseToken: token, leaseUntil, attempts: j.attempts + 1 });
    return due.map(copy);
  }

  async heartbeat(id: Id, token: string, leaseUntil: Date) {
    const j = this.held(id, token);
    if (j) j.leaseUntil = leaseUntil;
    return j !== undefined;
  }

  async complete(id: Id, token: string) {
    return this.held(id, token) !== undefined && this.jobs.delete(id);
  }

  async fail(id: Id, token: string, error: string, retryAt: Date | null) {
    const j = this.held(id, token);
    if (!j) return false;
    if (retryAt === null) this.jobs.delete(id);
    else Object.assign(j, { runAt: retryAt, leaseToken: null, leaseUntil: null, lastError: error });
    return true;
  }

  async release(id: Id, token: string) {
    const j = this.held(id, token);
    if (j) Object.assign(j, { leaseToken: null, leaseUntil: null });
    return j !== undefined;
  }

  async get(key: string) {
    const j = [...this.jobs.values()].find((x) => x.key === key);
    return j && copy(j);
  }

  async depth(now: Date) {
    const byName = new Map<string, JobDepth>();
    for (const j of this.jobs.values()) {
      const running = j.leaseUntil !== null && j.leaseUntil >= now;
      if (!running && j.runAt > now) continue;
      const d = byName.get(j.name) ?? { name: j.name, waiting: 0, running: 0 };
      d[running ? 'running' : 'waiting']++;
      byName.set(j.name, d);
    }
    return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Every job, for tests. */
  all(): Job[] {
    return [...this.jobs.values()].map(copy);
  }

  private held(id: Id, token: string): Job | undefined {
    const j = this.jobs.get(id);
    return j?.leaseToken === token ? j : undefined;
  }
}
