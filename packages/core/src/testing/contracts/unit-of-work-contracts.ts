import type { Space } from '../../space/space';
import { aConnector, aSpace, aUser, type ContractSubject, listQuery, type MakeRepositories, page, providerPipeline, T0, useSubject } from './fixtures';

const aNewSpace = (s: ContractSubject, slug: string): Space => ({ id: s.ids.id(), slug, name: slug, createdAt: T0 });
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** UnitOfWork: commit together, roll back together, hand back the result. */
export function unitOfWorkContracts(name: string, make: MakeRepositories) {
  describe(`${name}: unit of work`, () => {
    const subject = useSubject(make);

    it('commits every write of a unit that resolves, and resolves with its result', async () => {
      const s = subject();
      const user = await aUser(s);
      const space = aNewSpace(s, 'committed');
      const result = await s.uow.run(async (r) => {
        await r.spaces.create(space);
        await r.memberships.put({ spaceId: space.id, userId: user.id, role: 'admin', createdAt: T0 });
        await r.teams.create({ id: s.ids.id(), spaceId: space.id, name: 'core', createdAt: T0 });
        return 'done';
      });
      expect(result).toBe('done');
      expect(await s.repos.spaces.get(space.id)).toEqual(space);
      expect(await s.repos.memberships.countAdmins(space.id)).toBe(1);
      expect((await s.repos.teams.list(space.id, page())).total).toBe(1);
    });

    it('rolls back every write to every repository when the unit throws half way, and rejects with that error', async () => {
      const s = subject();
      const kept = await aSpace(s, 'kept');
      const team = { id: s.ids.id(), spaceId: kept.id, name: 'before', createdAt: T0 };
      await s.repos.teams.create(team);
      const connector = await aConnector(s, kept.id);
      const user = await aUser(s);
      const space = aNewSpace(s, 'rolled-back');
      const boom = new Error('half way');

      await expect(
        s.uow.run(async (r) => {
          await r.spaces.create(space);
          await r.memberships.put({ spaceId: space.id, userId: user.id, role: 'admin', createdAt: T0 });
          await r.teams.rename(kept.id, team.id, 'after');
          await r.pipelines.upsertFromProvider(connector, [providerPipeline('etl')], s.ids.id(), T0);
          // The unit sees its own writes before it ends.
          expect(await r.spaces.get(space.id)).toEqual(space);
          expect((await r.pipelines.list(kept.id, listQuery(user.id))).total).toBe(1);
          throw boom;
        }),
      ).rejects.toBe(boom);

      expect(await s.repos.spaces.get(space.id)).toBeUndefined();
      expect(await s.repos.spaces.getBySlug('rolled-back')).toBeUndefined();
      expect(await s.repos.memberships.get(space.id, user.id)).toBeUndefined();
      expect((await s.repos.teams.get(kept.id, team.id))?.name).toBe('before');
      expect((await s.repos.pipelines.list(kept.id, listQuery(user.id))).total).toBe(0);
      // The rows written before the unit are untouched.
      expect(await s.repos.spaces.get(kept.id)).toEqual(kept);
    });

    it('rolls back the earlier writes when a repository refuses a later one, and rejects with its error', async () => {
      const s = subject();
      await aSpace(s, 'taken');
      const first = aNewSpace(s, 'first');
      await expect(
        s.uow.run(async (r) => {
          await r.spaces.create(first);
          await r.spaces.create(aNewSpace(s, 'taken'));
        }),
      ).rejects.toMatchObject({ kind: 'conflict', code: 'SPACE_EXISTS' });
      expect(await s.repos.spaces.get(first.id)).toBeUndefined();
    });

    it('keeps the writes of a concurrent unit that commits while another one rolls back', async () => {
      const s = subject();
      const failing = aNewSpace(s, 'failing');
      const passing = aNewSpace(s, 'passing');
      const boom = new Error('boom');
      const first = s.uow.run(async (r) => {
        await r.spaces.create(failing);
        await pause(30);
        throw boom;
      });
      const second = s.uow.run(async (r) => {
        await r.spaces.create(passing);
        return passing.id;
      });
      const [a, b] = await Promise.allSettled([first, second]);
      expect(a).toEqual({ status: 'rejected', reason: boom });
      expect(b).toEqual({ status: 'fulfilled', value: passing.id });
      expect(await s.repos.spaces.get(failing.id)).toBeUndefined();
      expect(await s.repos.spaces.get(passing.id)).toEqual(passing);
    });

    it('runs a repository method that needs a transaction of its own inside a unit (a sync begins)', async () => {
      const s = subject();
      const space = await aSpace(s);
      const connector = await aConnector(s, space.id);
      const record = {
        id: s.ids.id(),
        spaceId: space.id,
        connectorId: connector.id,
        status: 'running' as const,
        triggeredBy: null,
        startedAt: T0,
        heartbeatAt: T0,
        finishedAt: null,
        counts: { pipelines: 0, removedPipelines: 0, runs: 0, taskRuns: 0 },
        error: null,
      };
      await expect(
        s.uow.run(async (r) => {
          expect(await r.syncs.begin(record, T0)).toEqual({ started: true });
          throw new Error('undo');
        }),
      ).rejects.toThrow('undo');
      expect(await s.repos.syncs.get(space.id, connector.id, record.id)).toBeUndefined();
      expect(await s.uow.run((r) => r.syncs.begin(record, T0))).toEqual({ started: true });
      expect((await s.repos.syncs.get(space.id, connector.id, record.id))?.status).toBe('running');
    });
  });
}
