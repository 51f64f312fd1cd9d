import {
  aConnector,
  anApiKey,
  aSpace,
  at,
  aUser,
  type ContractSubject,
  type MakeRepositories,
  page,
  providerPipeline,
  providerRun,
  providerTaskRun,
  somePipelines,
  T0,
  useSubject,
} from './fixtures';

const OTHER = '00000000-0000-4000-8000-ffffffffffff';

/** SpaceRepository, UserRepository, ApiKeyRepository, MembershipRepository. */
export function accessContracts(name: string, make: MakeRepositories) {
  describe(`${name}: spaces`, () => {
    const subject = useSubject(make);

    it('resolves undefined for an unknown id or slug, and for an id that is not one', async () => {
      const { repos } = subject();
      expect(await repos.spaces.get(OTHER)).toBeUndefined();
      expect(await repos.spaces.get('not-an-id')).toBeUndefined();
      expect(await repos.spaces.getBySlug('nope')).toBeUndefined();
    });

    it('reads back what it created, by id and by slug', async () => {
      const s = subject();
      const space = await aSpace(s, 'acme');
      expect(await s.repos.spaces.get(space.id)).toEqual(space);
      expect(await s.repos.spaces.getBySlug('acme')).toEqual(space);
    });

    it("reads a space by slug with a user's role in it, null for a non-member, and its data version, in any space alike", async () => {
      const s = subject();
      const [acme, other] = [await aSpace(s, 'acme'), await aSpace(s, 'other')];
      const [ada, bob] = [await aUser(s, 'ada@example.com'), await aUser(s, 'bob@example.com')];
      await s.repos.memberships.put({ spaceId: acme.id, userId: ada.id, role: 'editor', createdAt: T0 });
      await s.repos.memberships.put({ spaceId: other.id, userId: bob.id, role: 'admin', createdAt: T0 });
      // A pipeline written to acme only: its version differs from other's.
      await s.repos.pipelines.upsertFromProvider(await aConnector(s, acme.id), [providerPipeline('etl')], s.ids.id(), T0);
      const [acmeVersion, otherVersion] = [await s.repos.pipelines.dataVersion(acme.id), await s.repos.pipelines.dataVersion(other.id)];
      expect(acmeVersion).not.toBe(otherVersion);
      expect(await s.repos.spaces.getBySlugWithRole('acme', ada.id)).toEqual({ space: acme, role: 'editor', dataVersion: acmeVersion });
      expect(await s.repos.spaces.getBySlugWithRole('acme', bob.id)).toEqual({ space: acme, role: null, dataVersion: acmeVersion });
      expect(await s.repos.spaces.getBySlugWithRole('other', bob.id)).toEqual({ space: other, role: 'admin', dataVersion: otherVersion });
      expect(await s.repos.spaces.getBySlugWithRole('other', 'not-an-id')).toEqual({ space: other, role: null, dataVersion: otherVersion });
      expect(await s.repos.spaces.getBySlugWithRole('nope', ada.id)).toBeUndefined();
    });

    it('refuses a taken slug with conflict SPACE_EXISTS', async () => {
      const s = subject();
      await aSpace(s, 'acme');
      await expect(aSpace(s, 'acme')).rejects.toMatchObject({ kind: 'conflict', code: 'SPACE_EXISTS' });
    });

    it('lists the spaces a user is a member of, or all of them, sorted by slug with totals', async () => {
      const s = subject();
      const user = await aUser(s);
      const [c, a, b] = [await aSpace(s, 'c-space'), await aSpace(s, 'a-space'), await aSpace(s, 'b-space')];
      await s.repos.memberships.put({ spaceId: c.id, userId: user.id, role: 'viewer', createdAt: T0 });
      await s.repos.memberships.put({ spaceId: a.id, userId: user.id, role: 'admin', createdAt: T0 });
      const mine = await s.repos.spaces.listVisible(user.id, false, page());
      expect(mine).toEqual({ items: [a, c], total: 2 });
      const all = await s.repos.spaces.listVisible(user.id, true, page(2, 2));
      expect(all).toEqual({ items: [c], total: 3 });
      expect((await s.repos.spaces.listVisible(user.id, true, page(1, 2))).items.map((x) => x.slug)).toEqual(['a-space', 'b-space']);
      expect(b.slug).toBe('b-space');
      expect(await s.repos.spaces.listVisible(OTHER, false, page())).toEqual({ items: [], total: 0 });
    });
  });

  describe(`${name}: users`, () => {
    const subject = useSubject(make);

    it('resolves undefined when absent', async () => {
      const { repos } = subject();
      expect(await repos.users.get(OTHER)).toBeUndefined();
      expect(await repos.users.get('nope')).toBeUndefined();
      expect(await repos.users.getByEmail('nobody@example.com')).toBeUndefined();
    });

    it('reads back by id and by email, whatever the case of the email asked', async () => {
      const s = subject();
      const user = await aUser(s, 'ada@example.com');
      expect(await s.repos.users.get(user.id)).toEqual(user);
      expect(await s.repos.users.getByEmail('Ada@Example.com')).toEqual(user);
    });

    it('refuses a taken email with conflict USER_EXISTS', async () => {
      const s = subject();
      await aUser(s, 'ada@example.com');
      await expect(aUser(s, 'ada@example.com')).rejects.toMatchObject({ kind: 'conflict', code: 'USER_EXISTS' });
    });
  });

  describe(`${name}: api keys`, () => {
    const subject = useSubject(make);

    it('finds a key by its owner and id, or by hash; another user asking finds nothing', async () => {
      const s = subject();
      const [ada, bob] = [await aUser(s), await aUser(s)];
      const key = anApiKey(s, ada.id, T0, 'f00d');
      await s.repos.apiKeys.create(key);
      expect(await s.repos.apiKeys.get(ada.id, key.id)).toEqual(key);
      expect(await s.repos.apiKeys.getByHash('f00d')).toEqual(key);
      expect(await s.repos.apiKeys.get(bob.id, key.id)).toBeUndefined();
      expect(await s.repos.apiKeys.get(ada.id, OTHER)).toBeUndefined();
      expect(await s.repos.apiKeys.getByHash('beef')).toBeUndefined();
      expect(await s.repos.apiKeys.getWithUserByHash('f00d')).toEqual({ key, user: ada });
      expect(await s.repos.apiKeys.getWithUserByHash('beef')).toBeUndefined();
    });

    it('refuses a second key with the same hash as a conflict', async () => {
      const s = subject();
      const ada = await aUser(s);
      await s.repos.apiKeys.create(anApiKey(s, ada.id, T0, 'same'));
      await expect(s.repos.apiKeys.create(anApiKey(s, ada.id, T0, 'same'))).rejects.toMatchObject({ kind: 'conflict' });
    });

    it('lists a user’s keys newest first, revoked ones included', async () => {
      const s = subject();
      const [ada, bob] = [await aUser(s), await aUser(s)];
      const old = anApiKey(s, ada.id, at(0));
      const mid = anApiKey(s, ada.id, at(5));
      const recent = anApiKey(s, ada.id, at(10));
      for (const k of [mid, recent, old, anApiKey(s, bob.id, at(7))]) await s.repos.apiKeys.create(k);
      await s.repos.apiKeys.revoke(ada.id, mid.id, at(20));
      const listed = await s.repos.apiKeys.listForUser(ada.id);
      expect(listed.map((k) => k.id)).toEqual([recent.id, mid.id, old.id]);
      expect(listed[1].revokedAt).toEqual(at(20));
    });

    it('revokes once: a second revoke keeps the first time; absent or another user’s key is false', async () => {
      const s = subject();
      const [ada, bob] = [await aUser(s), await aUser(s)];
      const key = anApiKey(s, ada.id);
      await s.repos.apiKeys.create(key);
      expect(await s.repos.apiKeys.revoke(bob.id, key.id, at(1))).toBe(false);
      expect((await s.repos.apiKeys.get(ada.id, key.id))!.revokedAt).toBeNull();
      expect(await s.repos.apiKeys.revoke(ada.id, key.id, at(1))).toBe(true);
      expect(await s.repos.apiKeys.revoke(ada.id, key.id, at(2))).toBe(true);
      expect((await s.repos.apiKeys.get(ada.id, key.id))!.revokedAt).toEqual(at(1));
      expect(await s.repos.apiKeys.revoke(ada.id, OTHER, at(1))).toBe(false);
    });
  });

  describe(`${name}: memberships`, () => {
    const subject = useSubject(make);

    it('puts idempotently: a second put changes the role and keeps the first creation time', async () => {
      const s = subject();
      const [space, user] = [await aSpace(s), await aUser(s)];
      expect(await s.repos.memberships.get(space.id, user.id)).toBeUndefined();
      await s.repos.memberships.put({ spaceId: space.id, userId: user.id, role: 'viewer', createdAt: at(0) });
      await s.repos.memberships.put({ spaceId: space.id, userId: user.id, role: 'editor', createdAt: at(9) });
      expect(await s.repos.memberships.get(space.id, user.id)).toEqual({ spaceId: space.id, userId: user.id, role: 'editor', createdAt: at(0) });
      const other = await aSpace(s);
      expect(await s.repos.memberships.get(other.id, user.id)).toBeUndefined();
    });

    it('lists members with their users sorted by email, paged with totals, one space only', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const users = [await aUser(s, 'carol@example.com'), await aUser(s, 'ada@example.com'), await aUser(s, 'bob@example.com')];
      for (const u of users) await s.repos.memberships.put({ spaceId: space.id, userId: u.id, role: 'viewer', createdAt: T0 });
      await s.repos.memberships.put({ spaceId: other.id, userId: users[0].id, role: 'admin', createdAt: T0 });
      const first = await s.repos.memberships.list(space.id, page(1, 2));
      expect(first.total).toBe(3);
      expect(first.items.map((m) => m.user.email)).toEqual(['ada@example.com', 'bob@example.com']);
      expect(first.items[0]).toEqual({ spaceId: space.id, userId: users[1].id, role: 'viewer', createdAt: T0, user: users[1] });
      const second = await s.repos.memberships.list(space.id, page(2, 2));
      expect(second).toMatchObject({ total: 3, items: [{ user: { email: 'carol@example.com' } }] });
    });

    it('deletes in its space only and counts admins', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const [a, b, c] = [await aUser(s), await aUser(s), await aUser(s)];
      await s.repos.memberships.put({ spaceId: space.id, userId: a.id, role: 'admin', createdAt: T0 });
      await s.repos.memberships.put({ spaceId: space.id, userId: b.id, role: 'admin', createdAt: T0 });
      await s.repos.memberships.put({ spaceId: space.id, userId: c.id, role: 'editor', createdAt: T0 });
      await s.repos.memberships.put({ spaceId: other.id, userId: c.id, role: 'admin', createdAt: T0 });
      expect(await s.repos.memberships.countAdmins(space.id)).toBe(2);
      expect(await s.repos.memberships.delete(other.id, a.id)).toBe(false);
      expect(await s.repos.memberships.delete(space.id, a.id)).toBe(true);
      expect(await s.repos.memberships.delete(space.id, a.id)).toBe(false);
      expect(await s.repos.memberships.countAdmins(space.id)).toBe(1);
      expect(await s.repos.memberships.countAdmins(other.id)).toBe(1);
    });
  });

  describe(`${name}: teams`, () => {
    const subject = useSubject(make);
    const team = (s: ContractSubject, spaceId: string, name: string) => ({ id: s.ids.id(), spaceId, name, createdAt: T0 });

    it('gets a team in its space only', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const t = team(s, space.id, 'Data');
      await s.repos.teams.create(t);
      expect(await s.repos.teams.get(space.id, t.id)).toEqual(t);
      expect(await s.repos.teams.get(other.id, t.id)).toBeUndefined();
      expect(await s.repos.teams.get(space.id, OTHER)).toBeUndefined();
      expect(await s.repos.teams.get(space.id, 'x')).toBeUndefined();
    });

    it('refuses a name taken in the space, whatever its case, with TEAM_EXISTS; other spaces may reuse it', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      await s.repos.teams.create(team(s, space.id, 'Data'));
      await expect(s.repos.teams.create(team(s, space.id, 'DATA'))).rejects.toMatchObject({ kind: 'conflict', code: 'TEAM_EXISTS' });
      await expect(s.repos.teams.create(team(s, other.id, 'data'))).resolves.toBeUndefined();
    });

    it('lists by name then id with totals', async () => {
      const s = subject();
      const space = await aSpace(s);
      const names = ['beta', 'Alpha', 'gamma', 'alpha2'];
      const teams = names.map((n) => team(s, space.id, n));
      for (const t of teams) await s.repos.teams.create(t);
      const first = await s.repos.teams.list(space.id, page(1, 3));
      expect(first.total).toBe(4);
      expect(first.items.map((t) => t.name)).toEqual(['Alpha', 'alpha2', 'beta']);
      expect((await s.repos.teams.list(space.id, page(2, 3))).items.map((t) => t.name)).toEqual(['gamma']);
      expect(await s.repos.teams.list((await aSpace(s)).id, page())).toEqual({ items: [], total: 0 });
    });

    it('renames in its space, may change its own case, and refuses a taken name', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const [a, b] = [team(s, space.id, 'Data'), team(s, space.id, 'Ops')];
      await s.repos.teams.create(a);
      await s.repos.teams.create(b);
      expect(await s.repos.teams.rename(other.id, a.id, 'X')).toBe(false);
      expect(await s.repos.teams.rename(space.id, OTHER, 'X')).toBe(false);
      expect(await s.repos.teams.rename(space.id, a.id, 'DATA')).toBe(true);
      await expect(s.repos.teams.rename(space.id, a.id, 'ops')).rejects.toMatchObject({ kind: 'conflict', code: 'TEAM_EXISTS' });
      expect((await s.repos.teams.get(space.id, a.id))!.name).toBe('DATA');
    });

    it('deletes in its space only, and clears the team from the pipelines it owned', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const connector = await aConnector(s, space.id);
      const [a, b] = [team(s, space.id, 'Data'), team(s, space.id, 'Ops')];
      await s.repos.teams.create(a);
      await s.repos.teams.create(b);
      const p = await somePipelines(s, connector, [providerPipeline('one'), providerPipeline('two')]);
      await s.repos.pipelines.setTeam(space.id, p('one').id, a.id, at(1));
      await s.repos.pipelines.setTeam(space.id, p('two').id, b.id, at(1));
      expect(await s.repos.teams.delete(other.id, a.id)).toBe(false);
      expect(await s.repos.teams.delete(space.id, a.id)).toBe(true);
      expect(await s.repos.teams.delete(space.id, a.id)).toBe(false);
      expect(await s.repos.teams.get(space.id, a.id)).toBeUndefined();
      expect((await s.repos.pipelines.get(space.id, p('one').id))!.teamId).toBeNull();
      expect((await s.repos.pipelines.get(space.id, p('two').id))!.teamId).toBe(b.id);
    });
  });

  describe(`${name}: connectors`, () => {
    const subject = useSubject(make);

    it('reads back a connector with its secrets in clear, in its space only', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const c = await aConnector(s, space.id, 'prod', { base_url: 'http://x', username: 'u', password: 'p@ss', token: 't0k' });
      expect(await s.repos.connectors.get(space.id, c.id)).toEqual(c);
      expect(await s.repos.connectors.get(other.id, c.id)).toBeUndefined();
      expect(await s.repos.connectors.get(space.id, OTHER)).toBeUndefined();
      expect(await s.repos.connectors.get(space.id, 'nope')).toBeUndefined();
    });

    it('refuses a name taken in the space with CONNECTOR_EXISTS, on create and on update', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      await aConnector(s, space.id, 'prod');
      const staging = await aConnector(s, space.id, 'staging');
      await expect(aConnector(s, space.id, 'prod')).rejects.toMatchObject({ kind: 'conflict', code: 'CONNECTOR_EXISTS' });
      await expect(aConnector(s, other.id, 'prod')).resolves.toMatchObject({ name: 'prod' });
      await expect(s.repos.connectors.update({ ...staging, name: 'prod' })).rejects.toMatchObject({ kind: 'conflict', code: 'CONNECTOR_EXISTS' });
    });

    it('lists by name with totals', async () => {
      const s = subject();
      const space = await aSpace(s);
      for (const n of ['b', 'c', 'a']) await aConnector(s, space.id, n);
      await aConnector(s, (await aSpace(s)).id, 'elsewhere');
      const listed = await s.repos.connectors.list(space.id, page(1, 2));
      expect(listed.total).toBe(3);
      expect(listed.items.map((c) => c.name)).toEqual(['a', 'b']);
    });

    it('updates name, config, cursor and updatedAt in its space only', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const c = await aConnector(s, space.id, 'prod', { password: 'old' });
      await s.repos.connectors.recordSync(space.id, c.id, { at: at(1), status: 'succeeded', error: null, cursor: '2026-01-15T12:00:00.000Z' });
      const next = {
        ...(await s.repos.connectors.get(space.id, c.id))!,
        name: 'production',
        config: { base_url: 'http://y', token: 'new' },
        cursor: null,
        updatedAt: at(5),
      };
      expect(await s.repos.connectors.update({ ...next, spaceId: other.id })).toBe(false);
      expect(await s.repos.connectors.update(next)).toBe(true);
      expect(await s.repos.connectors.get(space.id, c.id)).toEqual(next);
      expect(await s.repos.connectors.update({ ...next, id: OTHER })).toBe(false);
    });

    it('records a sync outcome; the cursor moves only when given', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const c = await aConnector(s, space.id);
      await s.repos.connectors.recordSync(space.id, c.id, { at: at(1), status: 'succeeded', error: null, cursor: '2026-01-15T12:00:00.000Z' });
      await s.repos.connectors.recordSync(space.id, c.id, { at: at(2), status: 'failed', error: 'boom' });
      await s.repos.connectors.recordSync(other.id, c.id, { at: at(3), status: 'succeeded', error: null, cursor: 'other' });
      expect(await s.repos.connectors.get(space.id, c.id)).toMatchObject({
        lastSyncAt: at(2),
        lastSyncStatus: 'failed',
        lastError: 'boom',
        cursor: '2026-01-15T12:00:00.000Z',
      });
    });

    it('deletes the connector with its pipelines, runs, task runs, comments, watches and syncs; other connectors keep theirs', async () => {
      const s = subject();
      const [space, other] = [await aSpace(s), await aSpace(s)];
      const user = await aUser(s);
      const [gone, kept] = [await aConnector(s, space.id, 'gone'), await aConnector(s, space.id, 'kept')];
      const seed = async (c: typeof gone) => {
        const p = await somePipelines(s, c, [providerPipeline('etl')]);
        await s.repos.runs.upsertFromProvider(c, [providerRun('etl', 'r1', { startedAt: at(0) })], at(1));
        await s.repos.taskRuns.upsertFromProvider(c, [providerTaskRun('etl', 'r1', 'extract')], at(1));
        const run = (await s.repos.runs.getByExternalId(space.id, c.id, 'etl', 'r1'))!;
        const task = (await s.repos.taskRuns.listForRun(space.id, run.id))[0];
        const comments = [s.ids.id(), s.ids.id()];
        await s.repos.comments.create({
          id: comments[0],
          spaceId: space.id,
          target: { kind: 'run', id: run.id },
          authorId: user.id,
          body: 'a',
          createdAt: T0,
          updatedAt: T0,
        });
        await s.repos.comments.create({
          id: comments[1],
          spaceId: space.id,
          target: { kind: 'task_run', id: task.id },
          authorId: user.id,
          body: 'b',
          createdAt: T0,
          updatedAt: T0,
        });
        await s.repos.watches.watch(space.id, p('etl').id, user.id, T0);
        const sync = s.ids.id();
        await s.repos.syncs.begin(
          {
            id: sync,
            spaceId: space.id,
            connectorId: c.id,
            status: 'running',
            triggeredBy: null,
            startedAt: T0,
            heartbeatAt: T0,
            finishedAt: null,
            counts: { pipelines: 0, removedPipelines: 0, runs: 0, taskRuns: 0 },
            error: null,
          },
          at(-10),
        );
        return { pipeline: p('etl'), run, task, comments, sync };
      };
      const g = await seed(gone);
      const k = await seed(kept);
      expect(await s.repos.connectors.delete(other.id, gone.id)).toBe(false);
      expect(await s.repos.connectors.delete(space.id, gone.id)).toBe(true);
      expect(await s.repos.connectors.delete(space.id, gone.id)).toBe(false);
      expect(await s.repos.connectors.get(space.id, gone.id)).toBeUndefined();
      expect(await s.repos.pipelines.get(space.id, g.pipeline.id)).toBeUndefined();
      expect(await s.repos.runs.get(space.id, g.run.id)).toBeUndefined();
      expect(await s.repos.taskRuns.get(space.id, g.task.id)).toBeUndefined();
      for (const id of g.comments) expect(await s.repos.comments.get(space.id, id)).toBeUndefined();
      expect(await s.repos.watches.isWatching(space.id, g.pipeline.id, user.id)).toBe(false);
      expect(await s.repos.syncs.get(space.id, gone.id, g.sync)).toBeUndefined();
      expect(await s.repos.pipelines.get(space.id, k.pipeline.id)).toBeDefined();
      expect(await s.repos.runs.get(space.id, k.run.id)).toBeDefined();
      expect(await s.repos.taskRuns.get(space.id, k.task.id)).toBeDefined();
      for (const id of k.comments) expect(await s.repos.comments.get(space.id, id)).toBeDefined();
      expect(await s.repos.watches.isWatching(space.id, k.pipeline.id, user.id)).toBe(true);
      expect(await s.repos.syncs.get(space.id, kept.id, k.sync)).toBeDefined();
    });
  });
}
