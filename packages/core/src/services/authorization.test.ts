import type { Actor } from '../access/access';
import { DEFAULT_PAGE } from './test-page';
import { dag, HOUR, providerRun, providerTaskRun, runToEnd, syncAcme, type World, world } from './test-world';

type Need = 'viewer' | 'editor' | 'admin' | 'instance';

/** A world with a synced pipeline, a run, a task run, a team and a comment by the instance admin in `acme`. */
async function stage() {
  const w = await world();
  const run = providerRun('etl', 'r1', new Date(w.clock.now().getTime() - HOUR));
  w.provider.pipelineList = [dag('etl')];
  w.provider.runList = [run];
  w.provider.taskRunList = [providerTaskRun(run, 't1')];
  await syncAcme(w);
  const [p] = (await w.services.pipelines.list(w.root, 'acme', {}, DEFAULT_PAGE)).items;
  const [r] = (await w.services.runs.list(w.root, 'acme', p.pipeline.id, {}, DEFAULT_PAGE)).items;
  const { taskRuns } = await w.services.runs.get(w.root, 'acme', r.id);
  const team = await w.services.teams.create(w.root, 'acme', { name: 'Core' });
  const comment = await w.services.comments.add(w.root, 'acme', { kind: 'run', id: r.id }, 'first');
  const managed = await w.services.managed.create(w.root, 'acme', managedDef({ name: 'managed' }));
  const [version] = (await w.services.managed.listVersions(w.root, 'acme', managed.pipeline.id, DEFAULT_PAGE)).items;
  return {
    w,
    managedId: managed.pipeline.id,
    versionId: version.id,
    pipelineId: p.pipeline.id,
    runId: r.id,
    taskRunId: taskRuns[0].id,
    teamId: team.id,
    commentId: comment.id,
  };
}
type Stage = Awaited<ReturnType<typeof stage>>;

const managedDef = (fields: Record<string, unknown>) => ({ text: JSON.stringify(fields), format: 'json' as const });

const ops: [string, Need, (s: Stage, a: Actor) => Promise<unknown>][] = [
  ['get space', 'viewer', (s, a) => s.w.services.spaces.get(a, 'acme')],
  ['list pipelines', 'viewer', (s, a) => s.w.services.pipelines.list(a, 'acme', {}, DEFAULT_PAGE)],
  ['get pipeline', 'viewer', (s, a) => s.w.services.pipelines.get(a, 'acme', s.pipelineId)],
  ['watch', 'viewer', (s, a) => s.w.services.pipelines.watch(a, 'acme', s.pipelineId)],
  ['unwatch', 'viewer', (s, a) => s.w.services.pipelines.unwatch(a, 'acme', s.pipelineId)],
  ['list runs', 'viewer', (s, a) => s.w.services.runs.list(a, 'acme', s.pipelineId, {}, DEFAULT_PAGE)],
  ['get run', 'viewer', (s, a) => s.w.services.runs.get(a, 'acme', s.runId)],
  ['list run comments', 'viewer', (s, a) => s.w.services.comments.list(a, 'acme', { kind: 'run', id: s.runId }, DEFAULT_PAGE)],
  ['comment on run', 'viewer', (s, a) => s.w.services.comments.add(a, 'acme', { kind: 'run', id: s.runId }, 'hi')],
  ['comment on task run', 'viewer', (s, a) => s.w.services.comments.add(a, 'acme', { kind: 'task_run', id: s.taskRunId }, 'hi')],
  ['list teams', 'viewer', (s, a) => s.w.services.teams.list(a, 'acme', DEFAULT_PAGE)],
  ['list connectors', 'viewer', (s, a) => s.w.services.connectors.list(a, 'acme', DEFAULT_PAGE)],
  ['get connector', 'viewer', (s, a) => s.w.services.connectors.get(a, 'acme', s.w.connector.id)],
  ['list syncs', 'viewer', (s, a) => s.w.services.syncs.list(a, 'acme', s.w.connector.id, DEFAULT_PAGE)],
  ['set team', 'editor', (s, a) => s.w.services.pipelines.setTeam(a, 'acme', s.pipelineId, s.teamId)],
  ['clear team', 'editor', (s, a) => s.w.services.pipelines.setTeam(a, 'acme', s.pipelineId, null)],
  ['set criticality', 'editor', (s, a) => s.w.services.pipelines.setCriticality(a, 'acme', s.pipelineId, 'critical')],
  ['trigger', 'editor', (s, a) => s.w.services.runs.trigger(a, 'acme', s.pipelineId, {})],
  ['validate a definition', 'viewer', (s, a) => s.w.services.managed.validate(a, 'acme', managedDef({ name: 'x' }))],
  ['list versions', 'viewer', (s, a) => s.w.services.managed.listVersions(a, 'acme', s.managedId, DEFAULT_PAGE)],
  ['get version', 'viewer', (s, a) => s.w.services.managed.getVersion(a, 'acme', s.managedId, s.versionId)],
  ['diff versions', 'viewer', (s, a) => s.w.services.managed.diff(a, 'acme', s.managedId, s.versionId)],
  ['create managed pipeline', 'editor', (s, a) => s.w.services.managed.create(a, 'acme', managedDef({ name: 'new' }))],
  ['update managed pipeline', 'editor', (s, a) => s.w.services.managed.update(a, 'acme', s.managedId, managedDef({ name: 'managed', description: 'new' }))],
  ['restore version', 'editor', (s, a) => s.w.services.managed.restore(a, 'acme', s.managedId, s.versionId)],
  ['delete managed pipeline', 'editor', (s, a) => s.w.services.managed.delete(a, 'acme', s.managedId)],
  ['pause managed pipeline', 'editor', (s, a) => s.w.services.managed.setPaused(a, 'acme', s.managedId, true)],
  ['pause synced pipeline', 'editor', (s, a) => s.w.services.managed.setPaused(a, 'acme', s.pipelineId, true)],
  ['sync', 'admin', async (s, a) => runToEnd(s.w, await s.w.services.syncs.start(a, 'acme', s.w.connector.id))],
  ['create connector', 'admin', (s, a) => s.w.services.connectors.create(a, 'acme', { name: 'second', type: 'mock', config: {} })],
  ['update connector', 'admin', (s, a) => s.w.services.connectors.update(a, 'acme', s.w.connector.id, { name: 'renamed' })],
  ['delete connector', 'admin', (s, a) => s.w.services.connectors.delete(a, 'acme', s.w.connector.id)],
  ['create team', 'admin', (s, a) => s.w.services.teams.create(a, 'acme', { name: 'New' })],
  ['rename team', 'admin', (s, a) => s.w.services.teams.rename(a, 'acme', s.teamId, { name: 'Renamed' })],
  ['delete team', 'admin', (s, a) => s.w.services.teams.delete(a, 'acme', s.teamId)],
  ['list members', 'admin', (s, a) => s.w.services.members.list(a, 'acme', DEFAULT_PAGE)],
  ['put member', 'admin', (s, a) => s.w.services.members.put(a, 'acme', s.w.outsider.userId, 'viewer')],
  ['remove member', 'admin', (s, a) => s.w.services.members.remove(a, 'acme', s.w.viewer.userId)],
  ["delete another's comment", 'admin', (s, a) => s.w.services.comments.delete(a, 'acme', s.commentId)],
  ['create space', 'instance', (s, a) => s.w.services.spaces.create(a, { slug: 'new-space', name: 'New' })],
  ['create user', 'instance', (s, a) => s.w.services.access.createUser(a, { email: 'new@example.com', name: 'New' })],
  ['issue key for a user', 'instance', (s, a) => s.w.services.access.issueKeyFor(a, s.w.editor.userId, { name: 'ci' })],
];

const RANK: Record<Need, number> = { viewer: 1, editor: 2, admin: 3, instance: 4 };
const actors: [string, (w: World) => Actor, number][] = [
  ['non-member', (w) => w.outsider, 0],
  ['viewer', (w) => w.viewer, 1],
  ['editor', (w) => w.editor, 2],
  ['admin', (w) => w.admin, 3],
  ['instance admin', (w) => w.root, 4],
];

const outcome = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'allowed';
  } catch (err) {
    const e = err as { kind?: string; code?: string; message?: string };
    return e.kind === 'forbidden' ? 'forbidden' : e.kind === 'not_found' ? `not_found:${e.code}` : `error:${e.code ?? e.message}`;
  }
};

describe('authorization matrix', () => {
  const cases = ops.flatMap(([name, need, op]) => actors.map(([who, actor, rank]) => [name, need, who, op, actor, rank] as const));
  it.each(cases)('%s needs %s; as %s', async (_name, need, _who, op, actor, rank) => {
    const s = await stage();
    let expected: string;
    if (rank >= RANK[need]) expected = 'allowed';
    else if (need === 'instance')
      expected = 'forbidden'; // instance-level actions never depend on membership
    else expected = rank === 0 ? 'not_found:SPACE_NOT_FOUND' : 'forbidden';
    expect(await outcome(op(s, actor(s.w)))).toBe(expected);
  });
});
