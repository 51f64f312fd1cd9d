import type { Id, SpaceWithRole } from '@signalbox/core';
import pg from 'pg';

/** The channel the database names a changed space on (migration `2026-11-29T13-00-00-space-change-notices`). */
export const SPACE_CHANGES_CHANNEL = 'signalbox_space_changes';

/** The notice that names no one space: every kept answer goes (a `TRUNCATE`). */
export const EVERY_SPACE = '*';

/** How long an answer is kept at most, even when no change to its space is heard of. */
export const KEPT_MS = 1_000;

/** How many answers are kept at most (the oldest go first). */
export const KEPT_AT_MOST = 10_000;

/**
 * Answers of `getBySlugWithRole` this process read lately, kept so that a conditional read (a 304)
 * needs no query (ADR 0024). An answer is kept only while the database's notices of changed spaces
 * are heard, and for `keptMs` at most. It goes when:
 * - the database names its space as changed (its data version, its row, a membership);
 * - this process writes anything that could change it (`forgetAll`), so that a client's next
 *   request here sees its own write even before that write's notice comes;
 * - the notices stop, or start again, being heard.
 * A read that began before any of these is not kept (`begin`, then `keep`).
 */
export class KeptSpaces {
  private readonly answers = new Map<string, { found: SpaceWithRole; until: number }>();
  /** The kept answers' keys by space, so that a notice forgets one space's answers only. */
  private readonly bySpace = new Map<Id, Set<string>>();
  /** Moves with every change heard of or made here: a read begun before the move is not kept. */
  private generation = 0;
  private hearing = false;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly keptMs = KEPT_MS,
    private readonly atMost = KEPT_AT_MOST,
  ) {}

  /** The kept answer for this slug and user, or undefined. */
  get(slug: string, userId: Id): SpaceWithRole | undefined {
    if (!this.hearing) return undefined;
    const key = keyOf(slug, userId);
    const kept = this.answers.get(key);
    if (kept === undefined) return undefined;
    if (kept.until > this.now()) return kept.found;
    this.drop(key);
    return undefined;
  }

  /** Call before reading an answer that may be kept; give what it returned to `keep`. */
  begin(): number {
    return this.generation;
  }

  /** Keeps an answer read since `begun`, unless anything changed or was written meanwhile. */
  keep(begun: number, slug: string, userId: Id, found: SpaceWithRole): void {
    if (!this.hearing || begun !== this.generation) return;
    const key = keyOf(slug, userId);
    this.drop(key);
    this.answers.set(key, { found, until: this.now() + this.keptMs });
    const keys = this.bySpace.get(found.space.id);
    if (keys) keys.add(key);
    else this.bySpace.set(found.space.id, new Set([key]));
    if (this.answers.size > this.atMost) this.drop(this.answers.keys().next().value as string);
  }

  /** The database says this space changed (or every space, `EVERY_SPACE`): its answers go. */
  changed(spaceId: Id): void {
    if (spaceId === EVERY_SPACE) {
      this.forgetAll();
      return;
    }
    this.generation++;
    for (const key of this.bySpace.get(spaceId) ?? []) this.answers.delete(key);
    this.bySpace.delete(spaceId);
  }

  /** This process wrote: every answer goes. */
  forgetAll(): void {
    this.generation++;
    this.answers.clear();
    this.bySpace.clear();
  }

  /** Notices are heard from now on (`true`), or no longer: either way, what is kept goes. */
  hear(on: boolean): void {
    this.hearing = on;
    this.forgetAll();
  }

  /** How many answers are kept. */
  get size(): number {
    return this.answers.size;
  }

  private drop(key: string) {
    const kept = this.answers.get(key);
    if (kept === undefined) return;
    this.answers.delete(key);
    const keys = this.bySpace.get(kept.found.space.id);
    keys?.delete(key);
    if (keys?.size === 0) this.bySpace.delete(kept.found.space.id);
  }
}

const keyOf = (slug: string, userId: Id) => `${userId} ${slug}`;

/** A statement that may write: by a word anywhere in it, or by how it starts (`END` is also a `CASE`'s). */
const MAY_WRITE = /\b(?:insert|update|delete|merge|truncate|commit|copy|alter|drop|create|grant|revoke|refresh)\b|^\s*(?:call|do|end)\b/i;

/**
 * A write to a table that no trigger or key links to a space, its memberships or its data version:
 * the rate limits' counters (written on every request) and the background jobs (claimed every
 * second). `kept-spaces.int.test.ts` checks that these tables have no trigger and nothing refers
 * to them.
 */
const UNRELATED_WRITE = /^\s*(?:insert\s+into|update|delete\s+from)\s+(?:"?\w+"?\.)?"?(?:rate_limits|jobs)"?[\s(](?![\s\S]*;\s*\S)/i;

/** Whether a statement's text (or anything but text) may change a kept answer once it has run. */
export const forgets = (text: unknown) => typeof text !== 'string' || (MAY_WRITE.test(text) && !UNRELATED_WRITE.test(text));

/**
 * Has every statement the pool's connections run that may write (by its text) forget every kept
 * answer once it has run, before its caller goes on: a write made here is seen by this process's
 * next conditional read, whether or not its notice has come. In the promise form (Kysely's) and
 * the callback form (pg's own `pool.query`) it forgets once the statement has run; anything else
 * (a submittable such as a cursor, which nothing here sends) forgets when it is sent.
 */
export function forgetOnWrite(pool: pg.Pool, kept: KeptSpaces): void {
  const forget = () => kept.forgetAll();
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      const [first] = args;
      if (!forgets(typeof first === 'object' && first !== null ? (first as { text?: unknown }).text : first)) return query(...args);
      const last = args.length - 1;
      // The callback form (pg's own pool.query): forget before the callback runs.
      if (last > 0 && typeof args[last] === 'function') {
        const callback = args[last] as (...r: unknown[]) => unknown;
        args[last] = (...r: unknown[]) => {
          forget();
          return callback(...r);
        };
        return query(...args);
      }
      const result = query(...args);
      if (typeof (result as Promise<unknown> | undefined)?.then === 'function') return (result as Promise<unknown>).finally(forget);
      forget();
      return result;
    };
  });
}

/** How long after a lost connection the notices are first listened for again; it doubles, to `RELISTEN_MAX_MS`. */
export const RELISTEN_MS = 1_000;
const RELISTEN_MAX_MS = 30_000;

/**
 * Listens for the database's notices of changed spaces on a connection of its own, and tells
 * `kept`. Until the first `LISTEN` has answered, while the connection is lost, and after `stop`,
 * `kept` keeps nothing. A lost connection is opened again after `RELISTEN_MS`, then twice as long
 * after each failure in a row.
 */
export class SpaceChangeListener {
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private started = false;
  private stopped = false;
  /** The attempt to listen under way, which `stop` waits for. */
  private attempt: Promise<void> | undefined;
  private delay = RELISTEN_MS;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly kept: KeptSpaces,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /** Resolves once notices are heard, or once the first attempt failed (then it tries again later). Once only. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.listen();
  }

  /** Listens (again); the attempt is noted, so that `stop` can wait for it. */
  private listen(): Promise<void> {
    const attempt = this.connect().finally(() => {
      if (this.attempt === attempt) this.attempt = undefined;
    });
    this.attempt = attempt;
    return attempt;
  }

  /** Stops listening, once an attempt under way has ended; nothing is kept after it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.kept.hear(false);
    const client = this.client;
    this.client = undefined;
    await Promise.all([client?.end().catch(() => {}), this.attempt]);
  }

  private async connect(): Promise<void> {
    // Keep-alive probes after 10 s idle: a connection that died without a word is found out within
    // about a minute, rather than heard as silence (a kept answer lives a second at most anyway).
    // A connect that does not answer fails after 10 s, so that `stop`, which waits for it, does
    // not wait longer (ending a client that is still connecting would leave both waiting).
    const client = new pg.Client({ ...this.config, keepAlive: true, keepAliveInitialDelayMillis: 10_000, connectionTimeoutMillis: 10_000 });
    let lost = false;
    const lose = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (err && !this.stopped) this.onError(err);
      client.end().catch(() => {});
      if (this.client === client) this.client = undefined;
      this.kept.hear(false);
      if (this.stopped) return;
      this.retry = setTimeout(() => {
        this.retry = undefined;
        if (!this.stopped) void this.listen();
      }, this.delay);
      this.retry.unref();
      this.delay = Math.min(this.delay * 2, RELISTEN_MAX_MS);
    };
    client.on('notification', (n) => {
      if (n.channel === SPACE_CHANGES_CHANNEL && n.payload) this.kept.changed(n.payload);
    });
    client.on('error', lose);
    client.on('end', () => lose());
    try {
      await client.connect();
      await client.query(`LISTEN ${SPACE_CHANGES_CHANNEL}`);
    } catch (err) {
      lose(err as Error);
      return;
    }
    if (this.stopped || lost) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.delay = RELISTEN_MS;
    this.kept.hear(true);
  }
}
