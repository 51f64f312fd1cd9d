import { ManagedScheduleTask } from '../background/handlers/managed-schedule';
import { silentLogger } from '../ports/system';
import { page } from '../testing/contracts/fixtures';
import { createServices } from './index';
import { dag, HOUR, syncAcme, type World, world } from './test-world';

const def = (fields: Record<string, unknown>) => ({ text: JSON.stringify(fields), format: 'json' as const });

async function created(w: World, fields: Record<string, unknown> = {}) {
  return w.services.managed.create(w.editor, 'acme', def({ name: 'orders', schedule: '15 * * * *', ...fields }));
}

describe('ManagedPipelineService', () => {
  describe('create', () => {
    it('stores version 1 with its source as sent, and answers the pipeline with its definition and next run', async () => {
      const w = await world();
      const text = '{ "name": "orders",  "schedule": "15 * * * *", "message": "first" }';
      const d = await w.services.managed.create(w.editor, 'acme', { text, format: 'json' });
      expect(d.pipeline).toMatchObject({
        origin: 'managed',
        provider: 'managed',
        connectorId: null,
        name: 'orders',
        externalId: 'orders',
        schedule: '15 * * * *',
        paused: false,
        // 12:00 now: the next quarter past.
        nextRunAt: new Date('2026-03-01T12:15:00.000Z'),
        managed: { engine: 'embedded', currentVersion: { number: 1, message: 'first', createdBy: w.editor.userId } },
      });
      expect(d.definition?.steps.map((s) => s.name)).toEqual(['one']);
      const [v] = (await w.services.managed.listVersions(w.viewer, 'acme', d.pipeline.id, page())).items;
      expect(v).toMatchObject({ number: 1, source: text, format: 'json' });
      // The same through the reads of every pipeline.
      expect((await w.services.pipelines.get(w.viewer, 'acme', d.pipeline.id)).definition).toEqual(d.definition);
    });

    it('refuses a bad definition with every problem and stores nothing', async () => {
      const w = await world();
      const problems = [
        { field: '/steps/0/config/query', reason: 'syntax error at or near "SELEC"', line: 4, column: 12, queryLine: 1, queryColumn: 1 },
        { field: '/schedule', reason: 'bad', line: 2, column: 11 },
      ];
      const err = await created(w, { problems }).catch((e) => e);
      expect(err).toMatchObject({ kind: 'invalid', code: 'DEFINITION_INVALID' });
      // In the order of the text.
      expect(err.details).toEqual([problems[1], problems[0]]);
      expect((await w.services.pipelines.list(w.viewer, 'acme', { origin: ['managed'] }, page())).total).toBe(0);
    });

    it('refuses other engines and warehouses until they exist, naming the field', async () => {
      const w = await world();
      await expect(created(w, { engine: 'argo-main' })).rejects.toMatchObject({ details: [expect.objectContaining({ field: '/engine', line: 1 })] });
      await expect(created(w, { warehouse: 'wh' })).rejects.toMatchObject({ details: [expect.objectContaining({ field: '/warehouse' })] });
    });

    it('refuses a taken name in the space, not in another space', async () => {
      const w = await world();
      await created(w);
      await expect(created(w)).rejects.toMatchObject({ kind: 'conflict', code: 'PIPELINE_EXISTS' });
      await expect(w.services.managed.create(w.outsider, 'other', def({ name: 'orders' }))).resolves.toBeDefined();
    });

    it('finds a managed pipeline by name for any member, in the space named only', async () => {
      const w = await world();
      const d = await created(w);
      expect(await w.services.managed.idByName(w.viewer, 'acme', 'orders')).toBe(d.pipeline.id);
      await expect(w.services.managed.idByName(w.outsider, 'other', 'orders')).rejects.toMatchObject({ kind: 'not_found', code: 'PIPELINE_NOT_FOUND' });
      await expect(w.services.managed.idByName(w.outsider, 'acme', 'orders')).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
    });

    it('is for editors; a viewer may validate, which stores nothing', async () => {
      const w = await world();
      await expect(created(w).then(() => w.services.managed.create(w.viewer, 'acme', def({ name: 'x' })))).rejects.toMatchObject({ kind: 'forbidden' });
      expect(await w.services.managed.validate(w.viewer, 'acme', def({ name: 'y', base_version: 1 }))).toMatchObject({
        valid: true,
        errors: [],
        steps: [{ name: 'one' }],
      });
      expect(await w.services.managed.validate(w.viewer, 'acme', def({ problems: [] }))).toMatchObject({
        valid: false,
        errors: [{ field: '/name' }],
        steps: [],
      });
      await expect(w.services.managed.validate(w.outsider, 'acme', def({ name: 'y' }))).rejects.toMatchObject({ kind: 'not_found' });
      expect((await w.services.pipelines.list(w.viewer, 'acme', { origin: ['managed'] }, page())).total).toBe(1);
    });
  });

  describe('update and versions', () => {
    it('adds version n+1 for new content, and nothing for the same content', async () => {
      const w = await world();
      const { pipeline } = await created(w);
      const same = await w.services.managed.update(w.editor, 'acme', pipeline.id, def({ name: 'orders', schedule: '15 * * * *' }));
      expect(same.created).toBe(false);
      expect(same.pipeline.pipeline.managed?.currentVersion.number).toBe(1);
      const changed = await w.services.managed.update(w.editor, 'acme', pipeline.id, def({ name: 'orders', schedule: '45 * * * *', steps: ['one', 'two'] }));
      expect(changed.created).toBe(true);
      expect(changed.pipeline.pipeline).toMatchObject({ schedule: '45 * * * *', nextRunAt: new Date('2026-03-01T12:45:00.000Z') });
      expect(changed.pipeline.pipeline.managed?.currentVersion.number).toBe(2);
      const versions = await w.services.managed.listVersions(w.viewer, 'acme', pipeline.id, page());
      expect(versions.items.map((v) => v.number)).toEqual([2, 1]);
    });

    it('is conditional on base_version or If-Match: a stale base is VERSION_CONFLICT', async () => {
      const w = await world();
      const { pipeline } = await created(w);
      await w.services.managed.update(w.editor, 'acme', pipeline.id, def({ name: 'orders', description: 'v2', base_version: 1 }));
      await expect(w.services.managed.update(w.editor, 'acme', pipeline.id, def({ name: 'orders', description: 'v3', base_version: 1 }))).rejects.toMatchObject(
        {
          kind: 'conflict',
          code: 'VERSION_CONFLICT',
          data: { current_version: 2 },
        },
      );
      await expect(
        w.services.managed.update(w.editor, 'acme', pipeline.id, { ...def({ name: 'orders', description: 'v3' }), ifMatch: '"1"' }),
      ).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
      });
      // Even unchanged content is refused on a stale base: the caller's view is out of date.
      await expect(
        w.services.managed.update(w.editor, 'acme', pipeline.id, { ...def({ name: 'orders', description: 'v2' }), ifMatch: '1' }),
      ).rejects.toMatchObject({
        code: 'VERSION_CONFLICT',
      });
      const ok = await w.services.managed.update(w.editor, 'acme', pipeline.id, { ...def({ name: 'orders', description: 'v3' }), ifMatch: '"2"' });
      expect(ok.pipeline.pipeline.managed?.currentVersion.number).toBe(3);
      await expect(w.services.managed.update(w.editor, 'acme', pipeline.id, { ...def({ name: 'orders' }), ifMatch: 'latest' })).rejects.toMatchObject({
        kind: 'invalid',
        details: [{ field: 'ifMatch' }],
      });
      await expect(w.services.managed.update(w.editor, 'acme', pipeline.id, def({ name: 'orders', base_version: 'two' }))).rejects.toMatchObject({
        details: [expect.objectContaining({ field: '/base_version', line: 1 })],
      });
    });

    it('lets exactly one of two concurrent updates from one version win', async () => {
      const w = await world();
      const { pipeline } = await created(w);
      const results = await Promise.allSettled(
        ['a', 'b'].map((d) => w.services.managed.update(w.editor, 'acme', pipeline.id, def({ name: 'orders', description: d }))),
      );
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      expect(results.filter((r) => r.status === 'rejected').map((r) => (r as PromiseRejectedResult).reason.code)).toEqual(['VERSION_CONFLICT']);
    });

    it('diffs two versions: the text, and steps added, removed and changed', async () => {
      const w = await world();
      const { pipeline } = await created(w, { steps: ['a', 'b'] });
      const v2 = await w.services.managed.update(
        w.editor,
        'acme',
        pipeline.id,
        def({ name: 'orders', schedule: '15 * * * *', steps: [{ name: 'a', query: 'SELECT 2' }, 'c'] }),
      );
      const [latest, first] = (await w.services.managed.listVersions(w.viewer, 'acme', pipeline.id, page())).items;
      expect(latest.id).toBe(v2.pipeline.pipeline.managed?.currentVersion.id);
      const d = await w.services.managed.diff(w.viewer, 'acme', pipeline.id, latest.id);
      expect(d.steps).toEqual({ added: ['c'], removed: ['b'], changed: ['a'] });
      expect(d.textDiff).toContain('--- version 1\n+++ version 2');
      const back = await w.services.managed.diff(w.viewer, 'acme', pipeline.id, first.id, latest.id);
      expect(back.steps).toEqual({ added: ['b'], removed: ['c'], changed: ['a'] });
      expect((await w.services.managed.diff(w.viewer, 'acme', pipeline.id, first.id)).steps).toEqual({ added: ['a', 'b'], removed: [], changed: [] });
      await expect(w.services.managed.diff(w.viewer, 'acme', pipeline.id, first.id, pipeline.id)).rejects.toMatchObject({
        kind: 'invalid',
        code: 'VERSION_NOT_FOUND',
      });
    });

    it('restores an old version as a new one with its content', async () => {
      const w = await world();
      const { pipeline } = await created(w);
      const [v1] = (await w.services.managed.listVersions(w.viewer, 'acme', pipeline.id, page())).items;
      await w.services.managed.update(w.editor, 'acme', pipeline.id, def({ name: 'orders', description: 'changed' }));
      const restored = await w.services.managed.restore(w.editor, 'acme', pipeline.id, v1.id);
      expect(restored.created).toBe(true);
      expect(restored.pipeline.pipeline).toMatchObject({ description: null, schedule: '15 * * * *' });
      expect(restored.pipeline.pipeline.managed?.currentVersion).toMatchObject({ number: 3, specHash: v1.specHash, message: 'restored from version 1' });
      const v3 = await w.services.managed.getVersion(w.viewer, 'acme', pipeline.id, restored.pipeline.pipeline.managed!.currentVersion.id);
      expect(v3.source).toBe(v1.source);
      // The current content again: nothing new.
      expect((await w.services.managed.restore(w.editor, 'acme', pipeline.id, v1.id)).created).toBe(false);
      await expect(w.services.managed.restore(w.viewer, 'acme', pipeline.id, v1.id)).rejects.toMatchObject({ kind: 'forbidden' });
    });

    it('keeps versions to their pipeline and space', async () => {
      const w = await world();
      const { pipeline } = await created(w);
      const other = await created(w, { name: 'billing' });
      const [v1] = (await w.services.managed.listVersions(w.viewer, 'acme', pipeline.id, page())).items;
      await expect(w.services.managed.getVersion(w.viewer, 'acme', other.pipeline.id, v1.id)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'VERSION_NOT_FOUND',
      });
      await expect(w.services.managed.getVersion(w.outsider, 'other', pipeline.id, v1.id)).rejects.toMatchObject({
        kind: 'not_found',
        code: 'PIPELINE_NOT_FOUND',
      });
    });
  });

  describe('synced pipelines', () => {
    it('cannot be updated, versioned or deleted here', async () => {
      const w = await world();
      w.provider.pipelineList = [dag('etl')];
      await syncAcme(w);
      const [etl] = (await w.services.pipelines.list(w.viewer, 'acme', {}, page())).items;
      for (const op of [
        () => w.services.managed.update(w.editor, 'acme', etl.pipeline.id, def({ name: 'etl' })),
        () => w.services.managed.delete(w.editor, 'acme', etl.pipeline.id),
        () => w.services.managed.listVersions(w.viewer, 'acme', etl.pipeline.id, page()),
      ]) {
        await expect(op()).rejects.toMatchObject({ kind: 'conflict', code: 'PIPELINE_NOT_MANAGED' });
      }
    });

    it('are paused in their orchestrator, and here at once', async () => {
      const w = await world();
      w.provider.pipelineList = [dag('etl', { nextRunAt: new Date('2026-03-02T00:00:00Z') })];
      await syncAcme(w);
      const [etl] = (await w.services.pipelines.list(w.viewer, 'acme', {}, page())).items;
      const paused = await w.services.managed.setPaused(w.editor, 'acme', etl.pipeline.id, true);
      expect(paused.pipeline.paused).toBe(true);
      expect(w.provider.pipelineList[0].paused).toBe(true);
      await w.services.managed.setPaused(w.editor, 'acme', etl.pipeline.id, false);
      expect(w.provider.pipelineList[0].paused).toBe(false);
      await expect(w.services.managed.setPaused(w.viewer, 'acme', etl.pipeline.id, true)).rejects.toMatchObject({ kind: 'forbidden' });
      // The orchestrator refusing leaves the stored state as it was.
      w.provider.failAfter(0, 503, 'down');
      await expect(w.services.managed.setPaused(w.editor, 'acme', etl.pipeline.id, true)).rejects.toMatchObject({ kind: 'unavailable' });
      expect((await w.services.pipelines.get(w.viewer, 'acme', etl.pipeline.id)).pipeline.paused).toBe(false);
    });
  });

  describe('pause and schedule', () => {
    it('stops the schedule of a paused managed pipeline and recomputes it on resume', async () => {
      const w = await world();
      const { pipeline } = await created(w);
      const paused = await w.services.managed.setPaused(w.editor, 'acme', pipeline.id, true);
      expect(paused.pipeline).toMatchObject({ paused: true, nextRunAt: null });
      // An update while paused keeps it paused, with no next run.
      const upd = await w.services.managed.update(w.editor, 'acme', pipeline.id, def({ name: 'orders', schedule: '30 * * * *' }));
      expect(upd.pipeline.pipeline).toMatchObject({ paused: true, nextRunAt: null });
      w.clock.advance(2 * HOUR);
      const resumed = await w.services.managed.setPaused(w.editor, 'acme', pipeline.id, false);
      expect(resumed.pipeline).toMatchObject({ paused: false, nextRunAt: new Date('2026-03-01T14:30:00.000Z') });
    });

    it('is kept current by the scheduler task, which skips missed times and starts nothing', async () => {
      const w = await world();
      const task = new ManagedScheduleTask(w.repos.pipelines, w.cron, silentLogger);
      const { pipeline } = await created(w);
      await created(w, { name: 'unscheduled', schedule: undefined });
      const paused = await created(w, { name: 'paused' });
      await w.services.managed.setPaused(w.editor, 'acme', paused.pipeline.id, true);
      await task.run(w.clock.now());
      expect((await w.repos.pipelines.get(w.acme.id, pipeline.id))?.nextRunAt).toEqual(new Date('2026-03-01T12:15:00.000Z'));
      w.clock.advance(3 * HOUR);
      await task.run(w.clock.now());
      expect((await w.repos.pipelines.get(w.acme.id, pipeline.id))?.nextRunAt).toEqual(new Date('2026-03-01T15:15:00.000Z'));
      expect((await w.repos.pipelines.get(w.acme.id, paused.pipeline.id))?.nextRunAt).toBeNull();
      expect((await w.services.runs.list(w.viewer, 'acme', pipeline.id, {}, page())).total).toBe(0);
    });
  });

  describe('delete', () => {
    it('removes a managed pipeline with its versions and watches; the name starts fresh', async () => {
      const w = await world();
      const { pipeline } = await created(w);
      await w.services.pipelines.watch(w.viewer, 'acme', pipeline.id);
      await expect(w.services.managed.delete(w.viewer, 'acme', pipeline.id)).rejects.toMatchObject({ kind: 'forbidden' });
      await w.services.managed.delete(w.editor, 'acme', pipeline.id);
      await expect(w.services.pipelines.get(w.viewer, 'acme', pipeline.id)).rejects.toMatchObject({ kind: 'not_found' });
      await expect(w.services.managed.delete(w.editor, 'acme', pipeline.id)).rejects.toMatchObject({ kind: 'not_found' });
      const again = await created(w);
      expect(again.pipeline.managed?.currentVersion.number).toBe(1);
      expect((await w.services.managed.listVersions(w.viewer, 'acme', again.pipeline.id, page())).total).toBe(1);
    });

    it('rolls back when the unit fails', async () => {
      const w = await world();
      w.uow.fail('versions', 'create');
      await expect(created(w)).rejects.toThrow('versions.create failed');
      w.uow.heal();
      expect((await w.services.pipelines.list(w.viewer, 'acme', { origin: ['managed'] }, page())).total).toBe(0);
    });
  });

  it('refuses to trigger a managed pipeline where the service has no engine (no warehouses)', async () => {
    const w = await world();
    const { pipeline } = await created(w);
    const engineless = createServices({
      repos: w.repos,
      uow: w.uow,
      registry: w.registry,
      clock: w.clock,
      ids: w.ids,
      definitions: w.definitions,
      cron: w.cron,
    });
    expect(engineless.engine).toBeUndefined();
    await expect(engineless.runs.trigger(w.editor, 'acme', pipeline.id, {})).rejects.toMatchObject({ kind: 'conflict', code: 'PIPELINE_NOT_RUNNABLE' });
  });
});
