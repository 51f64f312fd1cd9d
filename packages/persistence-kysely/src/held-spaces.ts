import type { Id, Role, Space } from '@signalbox/core';
import pg from 'pg';

/** What `SpaceRepository.getBySlugWithRole` answers. */
export interface SpaceWithRole {
  space: Space;
  role: Role | null;
  dataVersion: string;
}

/** The channel the database names a changed space on (migration `2026-11-29T13-00-00-space-change-notices`). */
export const SPACE_CHANGES_CHANNEL = 'signalbox_space_changes';

/** How long an answer is held at most, even when no change to its space is heard of. */
export const HELD_MS = 1_000;

/** How many answers are held at most (the oldest go first). */
const HELD_AT_MOST = 10_000;

/**
 * Answers of `getBySlugWithRole` this process read lately, held so that a conditional read (a 304)
 * needs no query (ADR 0024). An answer is held only while the database's notices of changed spaces
 * are heard, and for `HELD_MS` at most. It goes when:
 * - the database names its space as changed (its data version, its row, a membership);
 * - this process writes anything at all (`forgetAll`), so that a client's next request here sees
 *   its own write even before that write's notice comes;
 * - the notices stop being heard.
 * A read that began before any of these is not held (`begin`, then `hold`).
 */
export class HeldSpaces {
  private readonly answers = new Map<string, { found: SpaceWithRole; until: number }>();
  /** The held answers' keys by space, so that a notice forgets one space's answers only. */
  private readonly bySpace = new Map<Id, Set<string>>();
  /** Moves with every change heard of or made here: a read begun before the move is not held. */
  private generation = 0;
  private hearing = false;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly heldMs = HELD_MS,
  ) {}

  /** The held answer for this slug and user, or undefined. */
  get(slug: string, userId: Id): SpaceWithRole | undefined {
    if (!this.hearing) return undefined;
    const key = keyOf(slug, userId);
    const held = this.answers.get(key);
    if (held === undefined) return undefined;
    if (held.until > this.now()) return held.found;
    this.drop(key, held.found.space.id);
    return undefined;
  }

  /** Call before reading an answer that may be held; give what it returned to `hold`. */
  begin(): number {
    return this.generation;
  }

  /** Holds an answer read since `begun`, unless anything changed or was written meanwhile. */
  hold(begun: number, slug: string, userId: Id, found: SpaceWithRole): void {
    if (!this.hearing || begun !== this.generation) return;
    const key = keyOf(slug, userId);
    this.answers.delete(key);
    this.answers.set(key, { found, until: this.now() + this.heldMs });
    const keys = this.bySpace.get(found.space.id);
    if (keys) keys.add(key);
    else this.bySpace.set(found.space.id, new Set([key]));
    if (this.answers.size > HELD_AT_MOST) {
      const [oldest, held] = this.answers.entries().next().value as [string, { found: SpaceWithRole }];
      this.drop(oldest, held.found.space.id);
    }
  }

  /** The database says this space changed: its answers go. */
  changed(spaceId: Id): void {
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

  /** Notices are heard from now on (`true`), or no longer: either way, what is held goes. */
  hear(on: boolean): void {
    this.hearing = on;
    this.forgetAll();
  }

  /** How many answers are held (for tests). */
  get size(): number {
    return this.answers.size;
  }

  private drop(key: string, spaceId: Id) {
    this.answers.delete(key);
    const keys = this.bySpace.get(spaceId);
    keys?.delete(key);
    if (keys?.size === 0) this.bySpace.delete(spaceId);
  }
}

const keyOf = (slug: string, userId: Id) => `${userId} ${slug}`;

/** A statement that may write: anything but a read (COMMIT included, which ends a unit of work's writes). */
const MAY_WRITE = /\b(?:insert|update|delete|merge|truncate|commit|copy|alter|drop|create)\b/i;

/**
 * Has every statement the pool's connections run that may write (by its text) forget every held
 * answer once it has run, before its caller goes on: a write made here is seen by this process's
 * next conditional read, whether or not its notice has come yet.
 */
export function forgetOnWrite(pool: pg.Pool, held: HeldSpaces): void {
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (text: unknown, ...rest: unknown[]) => {
      const result = query(text, ...rest);
      const sqlText = typeof text === 'string' ? text : (text as { text?: unknown } | null)?.text;
      if (typeof sqlText === 'string' && !MAY_WRITE.test(sqlText)) return result;
      if (!(result instanceof Promise)) {
        held.forgetAll();
        return result;
      }
      return result.finally(() => held.forgetAll());
    };
  });
}

/** How long after a lost connection the notices are listened for again. */
export const RELISTEN_MS = 1_000;

/**
 * Listens for the database's notices of changed spaces on a connection of its own, and tells
 * `held`. Until the first `LISTEN` has answered, after the connection is lost, and after `stop`,
 * `held` holds nothing; a lost connection is opened again after `RELISTEN_MS`.
 */
export class SpaceChangeListener {
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    private readonly config: pg.ClientConfig,
    private readonly held: HeldSpaces,
    private readonly onError: (err: Error) => void = () => {},
  ) {}

  /** Resolves once notices are heard, or once the first attempt failed (then it tries again later). */
  async start(): Promise<void> {
    const client = new pg.Client(this.config);
    let lost = false;
    const lose = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (err) this.onError(err);
      if (this.client === client) this.client = undefined;
      if (this.client === undefined) this.held.hear(false);
      client.end().catch(() => {});
      if (!this.stopped && this.retry === undefined) {
        this.retry = setTimeout(() => {
          this.retry = undefined;
          if (!this.stopped) void this.start();
        }, RELISTEN_MS);
        this.retry.unref();
      }
    };
    client.on('notification', (n) => {
      if (n.channel === SPACE_CHANGES_CHANNEL && n.payload) this.held.changed(n.payload);
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
    this.held.hear(true);
  }

  /** Stops listening; nothing is held after it. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.retry = undefined;
    this.held.hear(false);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => {});
  }
}
