import type { Id } from '../common';

/** A unit of background work as the queue keeps it. */
export interface Job {
  id: Id;
  /** The handler that runs it, e.g. `sync`. */
  name: string;
  /** Dedupe key: at most one job with a given key is queued or running at a time. */
  key: string;
  payload: Record<string, unknown>;
  /** Not claimable before this time. */
  runAt: Date;
  /** How many times it has been claimed, this claim included. */
  attempts: number;
  /** The claim that holds it now (a fresh value per claim), or null while queued. */
  leaseToken: string | null;
  /** The holder must heartbeat before this time, or another worker may claim the job. */
  leaseUntil: Date | null;
  lastError: string | null;
  createdAt: Date;
}

/** How many jobs of one name are waiting (due and not held) and running (held by a live lease), for metrics. */
export interface JobDepth {
  name: string;
  waiting: number;
  running: number;
}

export interface NewJob {
  name: string;
  key: string;
  payload: Record<string, unknown>;
  /** Default: claimable at once. */
  runAt?: Date;
}

/**
 * Durable background work shared by every process on one database. A job is claimed with a lease
 * (a token and an expiry); only the holder of the current token may heartbeat, complete, fail or
 * release it, so a worker whose lease ran out cannot touch the job another worker took over.
 */
export interface JobQueue {
  /**
   * Adds a job unless one with the same key is queued or running; resolves the job that holds the
   * key (the new one or the existing one) and whether it was added. Atomic across processes.
   */
  enqueue(job: NewJob, id: Id, now: Date): Promise<{ added: boolean; job: Job }>;
  /**
   * Claims up to `limit` jobs with one of `names` that are due (`runAt <= now`) and not held (never
   * claimed, released, or their lease expired before `now`): oldest due first. Each gets `token`
   * (fresh for every claim) as its lease token, `leaseUntil`, and one more attempt. Two concurrent claims
   * never get the same job.
   */
  claim(names: string[], token: string, now: Date, leaseUntil: Date, limit: number): Promise<Job[]>;
  /** Extends the lease; false when `token` no longer holds the job (taken over, or gone). */
  heartbeat(id: Id, token: string, leaseUntil: Date): Promise<boolean>;
  /** Removes the finished job, freeing its key; false when `token` no longer holds it. */
  complete(id: Id, token: string): Promise<boolean>;
  /**
   * A failed attempt: with `retryAt` the job is queued again for then (lease cleared, error kept);
   * without, it is removed. False when `token` no longer holds it.
   */
  fail(id: Id, token: string, error: string, retryAt: Date | null): Promise<boolean>;
  /** Gives the job up unfinished: claimable at once by any worker. False when `token` no longer holds it. */
  release(id: Id, token: string): Promise<boolean>;
  /** The job holding `key`, if any. */
  get(key: string): Promise<Job | undefined>;
  /**
   * Jobs waiting and running at `now`, by name, across every process on the store; names with
   * neither are left out. Jobs due later (a retry, a cluster run's next look) count as neither.
   */
  depth(now: Date): Promise<JobDepth[]>;
}
