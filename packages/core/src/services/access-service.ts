import { type Actor, type ApiKey, checkEmail, isUsable, KEY_PREFIX, KEY_PREFIX_LENGTH, type User } from '../access/access';
import { forbidden, invalid, notFound } from '../errors';
import type { ApiKeyRepository, UserRepository } from '../ports/repositories';
import type { Clock, Hasher, IdGenerator } from '../ports/system';
import { checkName } from '../space/space';

/** An API key as created: the only time the key itself is shown. */
export interface IssuedKey {
  apiKey: ApiKey;
  key: string;
}

export const BOOTSTRAP_ADMIN_EMAIL = 'admin@signalbox.local';

/**
 * How long an authenticated key is believed without reading it again. A key revoked through this
 * service is forgotten at once; one revoked by another process sharing the database is refused
 * within this time. Expiry is checked on every request.
 */
export const KEY_BELIEVED_MS = 5_000;

/** How many authenticated keys are remembered at most (the least recently authenticated go first). */
const KEYS_REMEMBERED = 10_000;

/** Users, API keys and authentication. */
export class AccessService {
  /** Keys authenticated lately, by hash: their actor, the key and until when it is believed. */
  private readonly believed = new Map<string, { actor: Actor; key: ApiKey; until: number }>();
  /** Counts the starts and ends of revocations: an authentication that saw it move keeps nothing. */
  private revocations = 0;

  constructor(
    private readonly users: UserRepository,
    private readonly keys: ApiKeyRepository,
    private readonly clock: Clock,
    private readonly ids: IdGenerator,
    private readonly hasher: Hasher,
  ) {}

  /** The actor owning a usable key, or undefined for an unknown, revoked or expired key. */
  async authenticate(rawKey: string): Promise<Actor | undefined> {
    if (!rawKey.startsWith(KEY_PREFIX) || rawKey.length > 200) return undefined;
    const hash = await this.hasher.hash(rawKey);
    const now = this.clock.now();
    const known = this.believed.get(hash);
    if (known && known.until > now.getTime() && isUsable(known.key, now)) return known.actor;
    this.believed.delete(hash);
    const revocations = this.revocations;
    const found = await this.keys.getWithUserByHash(hash);
    if (!found || !isUsable(found.key, now)) return undefined;
    const actor = { userId: found.user.id, instanceAdmin: found.user.instanceAdmin };
    // A key read before a revocation here that ended meanwhile may be the revoked one: not believed.
    if (revocations !== this.revocations) return actor;
    this.believed.set(hash, { actor, key: found.key, until: now.getTime() + KEY_BELIEVED_MS });
    if (this.believed.size > KEYS_REMEMBERED) this.believed.delete(this.believed.keys().next().value as string);
    return actor;
  }

  /** Instance admins only. Throws invalid | forbidden | conflict (USER_EXISTS). */
  async createUser(actor: Actor, input: { email: string; name: string; instanceAdmin?: boolean }): Promise<User> {
    if (!actor.instanceAdmin) throw forbidden('user:create');
    const user: User = {
      id: this.ids.id(),
      email: checkEmail(input.email),
      name: checkName(input.name),
      instanceAdmin: input.instanceAdmin ?? false,
      createdAt: this.clock.now(),
    };
    await this.users.create(user);
    return user;
  }

  async me(actor: Actor): Promise<User> {
    const user = await this.users.get(actor.userId);
    if (!user) throw notFound('user', actor.userId);
    return user;
  }

  /** Instance admins issue keys for any user. Throws forbidden | not_found | invalid. */
  async issueKeyFor(actor: Actor, userId: string, input: { name: string; expiresAt?: Date | null }): Promise<IssuedKey> {
    if (!actor.instanceAdmin) throw forbidden('api-key:create');
    if (!(await this.users.get(userId))) throw notFound('user', userId);
    return this.issue(userId, input);
  }

  issueOwnKey(actor: Actor, input: { name: string; expiresAt?: Date | null }): Promise<IssuedKey> {
    return this.issue(actor.userId, input);
  }

  listOwnKeys(actor: Actor): Promise<ApiKey[]> {
    return this.keys.listForUser(actor.userId);
  }

  /** Revokes one of the actor's own keys. Throws not_found. Idempotent. */
  async revokeOwnKey(actor: Actor, keyId: string): Promise<void> {
    this.revocations++;
    try {
      if (!(await this.keys.revoke(actor.userId, keyId, this.clock.now()))) throw notFound('api key', keyId);
    } finally {
      this.revocations++;
      for (const [hash, known] of this.believed) if (known.key.id === keyId) this.believed.delete(hash);
    }
  }

  /**
   * Makes `rawKey` an instance admin's key (for scripts and first use): creates the bootstrap admin
   * and stores the key's hash, under `name`, unless it is already stored. Idempotent across restarts
   * and processes. Throws invalid on field `adminApiKey` for a malformed key or one stored for
   * another user, revoked or expired.
   */
  async bootstrapAdminKey(rawKey: string, name = 'bootstrap'): Promise<Actor> {
    if (!rawKey.startsWith(KEY_PREFIX) || rawKey.length < KEY_PREFIX.length + 24) {
      throw invalid('adminApiKey', `must start with '${KEY_PREFIX}' and have at least 24 more characters`);
    }
    const hash = await this.hasher.hash(rawKey);
    const existing = await this.keys.getByHash(hash);
    if (existing) {
      const owner = await this.users.get(existing.userId);
      if (owner?.instanceAdmin && isUsable(existing, this.clock.now())) return { userId: owner.id, instanceAdmin: true };
      throw invalid('adminApiKey', 'this key is stored for a non-admin user, or is revoked or expired');
    }
    const now = this.clock.now();
    let admin = await this.users.getByEmail(BOOTSTRAP_ADMIN_EMAIL);
    if (!admin) {
      admin = { id: this.ids.id(), email: BOOTSTRAP_ADMIN_EMAIL, name: 'Administrator', instanceAdmin: true, createdAt: now };
      await this.users.create(admin).catch(async (err) => {
        admin = await this.users.getByEmail(BOOTSTRAP_ADMIN_EMAIL); // another process created it first
        if (!admin) throw err;
      });
    }
    const key: ApiKey = {
      id: this.ids.id(),
      userId: admin!.id,
      name,
      prefix: rawKey.slice(0, KEY_PREFIX_LENGTH),
      hash,
      createdAt: now,
      expiresAt: null,
      revokedAt: null,
    };
    await this.keys.create(key).catch(async (err) => {
      if (!(await this.keys.getByHash(hash))) throw err;
    });
    return { userId: admin!.id, instanceAdmin: true };
  }

  private async issue(userId: string, input: { name: string; expiresAt?: Date | null }): Promise<IssuedKey> {
    const now = this.clock.now();
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt && expiresAt.getTime() <= now.getTime()) throw invalid('expires_at', 'must be in the future');
    const key = `${KEY_PREFIX}${this.ids.secret(32)}`;
    const apiKey: ApiKey = {
      id: this.ids.id(),
      userId,
      name: checkName(input.name),
      prefix: key.slice(0, KEY_PREFIX_LENGTH),
      hash: await this.hasher.hash(key),
      createdAt: now,
      expiresAt,
      revokedAt: null,
    };
    await this.keys.create(apiKey);
    return { apiKey, key };
  }
}
