import { DEFAULT_PAGE } from './test-page';
import { dag, HOUR, providerRun, providerTaskRun, syncAcme, world } from './test-world';

async function withRun() {
  const w = await world();
  const run = providerRun('etl', 'r1', new Date(w.clock.now().getTime() - HOUR));
  w.provider.pipelineList = [dag('etl')];
  w.provider.runList = [run];
  w.provider.taskRunList = [providerTaskRun(run, 'load')];
  await syncAcme(w);
  const [p] = (await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).items;
  const [r] = (await w.services.runs.list(w.viewer, 'acme', p.pipeline.id, {}, DEFAULT_PAGE)).items;
  const { taskRuns } = await w.services.runs.get(w.viewer, 'acme', r.id);
  return { w, run: { kind: 'run' as const, id: r.id }, task: { kind: 'task_run' as const, id: taskRuns[0].id } };
}

describe('CommentService', () => {
  it('keeps threads of many authors on runs and task runs, oldest first', async () => {
    const { w, run, task } = await withRun();
    await w.services.comments.add(w.viewer, 'acme', run, 'Looks flaky');
    w.clock.advance(1000);
    await w.services.comments.add(w.editor, 'acme', run, 'Rerunning it');
    await w.services.comments.add(w.viewer, 'acme', task, 'This task timed out');
    const thread = await w.services.comments.list(w.viewer, 'acme', run, DEFAULT_PAGE);
    expect(thread.items.map((c) => [c.body, c.authorId])).toEqual([
      ['Looks flaky', w.viewer.userId],
      ['Rerunning it', w.editor.userId],
    ]);
    expect((await w.services.comments.list(w.viewer, 'acme', task, DEFAULT_PAGE)).items.map((c) => c.body)).toEqual(['This task timed out']);
  });

  it('checks the body: not blank, at most 10,000 characters', async () => {
    const { w, run } = await withRun();
    await expect(w.services.comments.add(w.viewer, 'acme', run, '   ')).rejects.toMatchObject({ kind: 'invalid', details: [{ field: 'body' }] });
    await expect(w.services.comments.add(w.viewer, 'acme', run, 'x'.repeat(10_001))).rejects.toMatchObject({ details: [{ field: 'body' }] });
    await expect(w.services.comments.add(w.viewer, 'acme', run, 'x'.repeat(10_000))).resolves.toMatchObject({ body: 'x'.repeat(10_000) });
  });

  it('lets only the author edit', async () => {
    const { w, run } = await withRun();
    const c = await w.services.comments.add(w.viewer, 'acme', run, 'tpyo');
    w.clock.advance(5000);
    const edited = await w.services.comments.edit(w.viewer, 'acme', c.id, 'typo');
    expect(edited).toMatchObject({ body: 'typo', createdAt: c.createdAt, updatedAt: w.clock.now() });
    await expect(w.services.comments.edit(w.admin, 'acme', c.id, 'mine now')).rejects.toMatchObject({ kind: 'forbidden', code: 'NOT_COMMENT_AUTHOR' });
    await expect(w.services.comments.edit(w.root, 'acme', c.id, 'mine now')).rejects.toMatchObject({ code: 'NOT_COMMENT_AUTHOR' });
    expect((await w.services.comments.list(w.viewer, 'acme', run, DEFAULT_PAGE)).items[0].body).toBe('typo');
  });

  it('lets the author or a space admin delete, nobody else', async () => {
    const { w, run } = await withRun();
    const a = await w.services.comments.add(w.viewer, 'acme', run, 'a');
    const b = await w.services.comments.add(w.viewer, 'acme', run, 'b');
    await expect(w.services.comments.delete(w.editor, 'acme', a.id)).rejects.toMatchObject({ kind: 'forbidden' });
    await w.services.comments.delete(w.viewer, 'acme', a.id);
    await w.services.comments.delete(w.admin, 'acme', b.id);
    expect((await w.services.comments.list(w.viewer, 'acme', run, DEFAULT_PAGE)).total).toBe(0);
    await expect(w.services.comments.delete(w.viewer, 'acme', a.id)).rejects.toMatchObject({ kind: 'not_found', code: 'COMMENT_NOT_FOUND' });
  });

  it('answers not_found for targets and comments of another space', async () => {
    const { w, run, task } = await withRun();
    const c = await w.services.comments.add(w.viewer, 'acme', run, 'a');
    await expect(w.services.comments.add(w.outsider, 'other', run, 'x')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
    await expect(w.services.comments.list(w.outsider, 'other', task, DEFAULT_PAGE)).rejects.toMatchObject({ code: 'TASK_RUN_NOT_FOUND' });
    await expect(w.services.comments.delete(w.outsider, 'other', c.id)).rejects.toMatchObject({ code: 'COMMENT_NOT_FOUND' });
    await expect(w.services.comments.add(w.viewer, 'acme', { kind: 'run', id: task.id }, 'x')).rejects.toMatchObject({ code: 'RUN_NOT_FOUND' });
  });
});
