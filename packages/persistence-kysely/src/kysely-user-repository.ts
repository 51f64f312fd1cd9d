import type { ApiKey, ApiKeyRepository, Id, User, UserRepository } from '@signalbox/core';
import type { Kysely, Selectable } from 'kysely';
import type { ApiKeysTable, Schema, UsersTable } from './schema';
import { isUuid, mustDate, toDate, uniquely } from './sql-support';

export const toUser = (r: Selectable<UsersTable>): User => ({
  id: r.id,
  email: r.email,
  name: r.name,
  instanceAdmin: r.instance_admin,
  createdAt: mustDate(r.created_at),
});

export class KyselyUserRepository implements UserRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async get(id: Id) {
    if (!isUuid(id)) return undefined;
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row && toUser(row);
  }

  async getByEmail(email: string) {
    const row = await this.db.selectFrom('users').selectAll().where('email', '=', email.toLowerCase()).executeTakeFirst();
    return row && toUser(row);
  }

  async create(user: User) {
    await uniquely(
      () =>
        this.db
          .insertInto('users')
          .values({ id: user.id, email: user.email, name: user.name, instance_admin: user.instanceAdmin, created_at: user.createdAt })
          .execute(),
      'USER_EXISTS',
      `user '${user.email}' exists`,
    );
  }
}

const toApiKey = (r: Selectable<ApiKeysTable>): ApiKey => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  prefix: r.prefix,
  hash: r.hash,
  createdAt: mustDate(r.created_at),
  expiresAt: toDate(r.expires_at),
  revokedAt: toDate(r.revoked_at),
});

/** Stores API keys by their hash only; the key itself never reaches this layer. */
export class KyselyApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: Kysely<Schema>) {}

  async get(userId: Id, id: Id) {
    if (!isUuid(userId) || !isUuid(id)) return undefined;
    const row = await this.db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
    return row && toApiKey(row);
  }

  async getByHash(hash: string) {
    const row = await this.db.selectFrom('api_keys').selectAll().where('hash', '=', hash).executeTakeFirst();
    return row && toApiKey(row);
  }

  async getWithUserByHash(hash: string) {
    const row = await this.db
      .selectFrom('api_keys as k')
      .innerJoin('users as u', 'u.id', 'k.user_id')
      .selectAll('k')
      .select(['u.email as user_email', 'u.name as user_name', 'u.instance_admin as user_instance_admin', 'u.created_at as user_created_at'])
      .where('k.hash', '=', hash)
      .executeTakeFirst();
    return (
      row && {
        key: toApiKey(row),
        user: toUser({ id: row.user_id, email: row.user_email, name: row.user_name, instance_admin: row.user_instance_admin, created_at: row.user_created_at }),
      }
    );
  }

  async listForUser(userId: Id) {
    if (!isUuid(userId)) return [];
    const rows = await this.db.selectFrom('api_keys').selectAll().where('user_id', '=', userId).orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
    return rows.map(toApiKey);
  }

  async create(key: ApiKey) {
    await uniquely(
      () =>
        this.db
          .insertInto('api_keys')
          .values({
            id: key.id,
            user_id: key.userId,
            name: key.name,
            prefix: key.prefix,
            hash: key.hash,
            created_at: key.createdAt,
            expires_at: key.expiresAt,
            revoked_at: key.revokedAt,
          })
          .execute(),
      'API_KEY_EXISTS',
      'api key exists',
    );
  }

  async revoke(userId: Id, id: Id, at: Date) {
    if (!isUuid(userId) || !isUuid(id)) return false;
    const r = await this.db
      .updateTable('api_keys')
      .set((eb) => ({ revoked_at: eb.fn.coalesce('revoked_at', eb.val(at)) }))
      .where('user_id', '=', userId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
