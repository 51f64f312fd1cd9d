import { DEFAULT_PAGE } from './test-page';
import { dag, HOUR, providerRun, syncAcme, world } from './test-world';

const DAY = 24 * HOUR;

async function fleet() {
  const w = await world();
  const now = w.clock.now().getTime();
  w.provider.pipelineList = [
    dag('orders_daily', { name: 'Orders daily', owner: 'sales', tags: ['finance', 'daily'], description: 'Loads 100% of orders' }),
    dag('payments_hourly', { name: 'Payments', owner: 'finance', paused: true }),
    dag('search_index', { name: 'Search index', owner: 'search', description: 'Rebuilds the search_index table' }),
  ];
  w.provider.runList = [
    providerRun('orders_daily', 'o1', new Date(now - 3 * DAY), { durationSeconds: 100 }),
    providerRun('orders_daily', 'o2', new Date(now - 2 * DAY), { durationSeconds: 200, status: 'failed', finishedAt: new Date(now - 2 * DAY + 200_000) }),
    providerRun('orders_daily', 'o3', new Date(now - 1 * DAY), { durationSeconds: 300 }),
    providerRun('orders_daily', 'old', new Date(now - 20 * DAY), { durationSeconds: 5000, status: 'failed' }),
    providerRun('orders_daily', 'live', new Date(now - HOUR), { status: 'running', finishedAt: null, durationSeconds: null }),
    providerRun('search_index', 's1', new Date(now - DAY), { status: 'failed', durationSeconds: 10 }),
  ];
  await syncAcme(w);
  const byId = new Map((await w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE)).items.map((v) => [v.pipeline.externalId, v]));
  return { w, byId, now };
}

const ids = (page: { items: { pipeline: { externalId: string } }[] }) => page.items.map((v) => v.pipeline.externalId);

describe('PipelineService', () => {
  it('computes summary metrics over the window', async () => {
    const { w, byId, now } = await fleet();
    const orders = byId.get('orders_daily')!;
    expect(orders.summary).toEqual({
      days: 7,
      runs: 4,
      succeeded: 2,
      failed: 1,
      successRate: 2 / 3,
      avgDurationSeconds: 200,
      p95DurationSeconds: 290, // 200 + 0.9 * (300 - 200), interpolated as percentile_cont
      lastFailureAt: new Date(now - 2 * DAY + 200_000),
    });
    const month = await w.services.pipelines.list(w.viewer, 'acme', { q: 'orders' }, DEFAULT_PAGE, 30);
    expect(month.items[0].summary).toMatchObject({ days: 30, runs: 5, failed: 2, avgDurationSeconds: 1400 });
    expect(byId.get('payments_hourly')!.summary).toMatchObject({
      runs: 0,
      successRate: null,
      avgDurationSeconds: null,
      p95DurationSeconds: null,
      lastFailureAt: null,
    });
  });

  it('derives the status: paused, error when the last run failed, else active', async () => {
    const { byId } = await fleet();
    expect(byId.get('payments_hourly')!.pipeline.paused).toBe(true);
    const { pipelineStatus } = await import('../pipeline/pipeline');
    expect(pipelineStatus(byId.get('payments_hourly')!.pipeline)).toBe('paused');
    expect(pipelineStatus(byId.get('search_index')!.pipeline)).toBe('error');
    expect(pipelineStatus(byId.get('orders_daily')!.pipeline)).toBe('active'); // the newest run is running
  });

  it('filters by every field, and q as literal case-insensitive text', async () => {
    const { w, byId } = await fleet();
    const list = (filter: Parameters<typeof w.services.pipelines.list>[2]) => w.services.pipelines.list(w.viewer, 'acme', filter, DEFAULT_PAGE).then(ids);
    expect(await list({ status: ['error'] })).toEqual(['search_index']);
    expect(await list({ status: ['paused'] })).toEqual(['payments_hourly']);
    expect(await list({ status: ['active'] })).toEqual(['orders_daily']);
    expect(await list({ owner: 'sales' })).toEqual(['orders_daily']);
    expect(await list({ provider: ['mock'] })).toHaveLength(3);
    expect(await list({ provider: ['airflow'] })).toEqual([]);
    expect(await list({ connectorId: w.connector.id })).toHaveLength(3);
    expect(await list({ q: 'FINANCE' })).toEqual(['orders_daily', 'payments_hourly']); // a tag, an owner
    expect(await list({ q: '100%' })).toEqual(['orders_daily']);
    expect(await list({ q: '0%' })).toEqual(['orders_daily']);
    expect(await list({ q: '%' })).toEqual(['orders_daily']);
    expect(await list({ q: 'search_' })).toEqual(['search_index']);
    expect(await list({ q: 'h_i' })).toEqual(['search_index']);
    expect(await list({ q: 'payments_h' })).toEqual(['payments_hourly']);
    expect(await list({ q: 'payments h' })).toEqual([]);
    const team = await w.services.teams.create(w.admin, 'acme', { name: 'Data' });
    await w.services.pipelines.setTeam(w.editor, 'acme', byId.get('search_index')!.pipeline.id, team.id);
    await w.services.pipelines.setCriticality(w.editor, 'acme', byId.get('orders_daily')!.pipeline.id, 'critical');
    expect(await list({ teamId: team.id })).toEqual(['search_index']);
    expect(await list({ criticality: ['critical'] })).toEqual(['orders_daily']);
    await w.services.pipelines.watch(w.viewer, 'acme', byId.get('payments_hourly')!.pipeline.id);
    expect(await list({ watchedOnly: true })).toEqual(['payments_hourly']);
    expect(await w.services.pipelines.list(w.editor, 'acme', { watchedOnly: true }, DEFAULT_PAGE).then(ids)).toEqual([]);
  });

  it('pages with a total', async () => {
    const { w } = await fleet();
    const page = await w.services.pipelines.list(w.viewer, 'acme', {}, { page: 2, perPage: 2 });
    expect(page.total).toBe(3);
    expect(ids(page)).toEqual(['search_index']);
  });

  it('refuses days outside 1..365', async () => {
    const { w } = await fleet();
    for (const days of [0, 366, 1.5]) {
      await expect(w.services.pipelines.list(w.viewer, 'acme', {}, DEFAULT_PAGE, days)).rejects.toMatchObject({
        kind: 'invalid',
        details: [{ field: 'days' }],
      });
    }
  });

  it('gets one pipeline with its last run and whether the caller watches it', async () => {
    const { w, byId } = await fleet();
    const id = byId.get('orders_daily')!.pipeline.id;
    await w.services.pipelines.watch(w.viewer, 'acme', id);
    await w.services.pipelines.watch(w.viewer, 'acme', id); // idempotent
    const d = await w.services.pipelines.get(w.viewer, 'acme', id);
    expect(d.lastRun?.externalId).toBe('live');
    expect(d.watched).toBe(true);
    expect((await w.services.pipelines.get(w.editor, 'acme', id)).watched).toBe(false);
    await w.services.pipelines.unwatch(w.viewer, 'acme', id);
    await w.services.pipelines.unwatch(w.viewer, 'acme', id);
    expect((await w.services.pipelines.get(w.viewer, 'acme', id)).watched).toBe(false);
  });

  it("reads the clock once per list or detail: the tag's minute is the summary window's, however long the reads take", async () => {
    const { w, byId } = await fleet();
    const id = byId.get('orders_daily')!.pipeline.id;
    const minuteOf = (tag: string) => tag.split('-')[1];
    const start = Math.floor(w.clock.now().getTime() / 60_000).toString(36);
    // Every read of the clock a minute later than the one before.
    const now = w.clock.now.bind(w.clock);
    w.clock.now = () => {
      const t = now();
      w.clock.advance(60_000);
      return t;
    };
    const listed = await w.services.pipelines.listRendered(w.viewer, 'acme', {}, DEFAULT_PAGE, 7, { id: 'id' });
    expect(minuteOf(listed.tag)).toBe(start);
    const minute = Math.floor(now().getTime() / 60_000);
    const detailed = await w.services.pipelines.getTagged(w.viewer, 'acme', id, 7);
    expect(minuteOf(detailed.tag)).toBe(minute.toString(36));
  });

  it('tags a list and a detail: held, nothing is read but the version, until a write, another reader or the next minute', async () => {
    const { w, byId } = await fleet();
    const id = byId.get('orders_daily')!.pipeline.id;
    const PROJ = { id: 'id', summary: { runs: 'summary.runs' } } as const;
    const list = (held: string[] = [], actor = w.viewer) => w.services.pipelines.listRendered(actor, 'acme', {}, DEFAULT_PAGE, 7, PROJ, held);
    const detail = (held: string[] = []) => w.services.pipelines.getTagged(w.viewer, 'acme', id, 7, held);
    const first = await list();
    expect(first.value?.json).toContain(id);
    expect(await list([first.tag])).toEqual({ tag: first.tag, value: null });
    expect(await list(['*'])).toEqual({ tag: first.tag, value: null });
    expect((await list(['other'])).value).not.toBeNull();
    const d = await detail();
    expect(d.value?.pipeline.id).toBe(id);
    expect(await detail([d.tag])).toEqual({ tag: d.tag, value: null });
    expect((await detail(['*'])).value).not.toBeNull();
    // Another reader: another tag.
    expect((await list([first.tag], w.editor)).value).not.toBeNull();
    // The window moves: the next minute, another tag.
    w.clock.advance(60_000);
    const later = await list([first.tag]);
    expect(later.value).not.toBeNull();
    expect(later.tag).not.toBe(first.tag);
    // A write to what it shows: another tag.
    await w.services.pipelines.watch(w.viewer, 'acme', id);
    const watched = await list([later.tag]);
    expect(watched.value).not.toBeNull();
    expect((await detail([d.tag])).value?.watched).toBe(true);
  });

  it('answers a held tag from the space the repository keeps, with no read; anything else it reads as usual', async () => {
    const { w, byId } = await fleet();
    const id = byId.get('orders_daily')!.pipeline.id;
    const list = (held: string[], actor = w.viewer) => w.services.pipelines.listRendered(actor, 'acme', {}, DEFAULT_PAGE, 7, { id: 'id' }, held);
    const detail = (held: string[], days = 7) => w.services.pipelines.getTagged(w.viewer, 'acme', id, days, held);
    const first = await list([]);
    const d = await detail([]);
    const spaces = w.repos.spaces;
    const answer = (await spaces.getBySlugWithRole('acme', w.viewer.userId))!;
    // What the repository keeps: the answer as read, or one that says something else.
    let keeps: typeof answer | undefined = answer;
    spaces.keptBySlugWithRole = (slug, userId) => (slug === 'acme' && userId === w.viewer.userId ? keeps : undefined);
    const reads = jest.spyOn(spaces, 'getBySlugWithRole');
    const pages = jest.spyOn(w.repos.pipelines, 'listRendered');

    expect(await list([first.tag])).toEqual({ tag: first.tag, value: null });
    expect(await list(['*'])).toEqual({ tag: first.tag, value: null });
    expect(await detail([d.tag])).toEqual({ tag: d.tag, value: null });
    expect(reads).not.toHaveBeenCalled();
    // The days are checked as the read would check them.
    await expect(detail([d.tag], 0)).rejects.toMatchObject({ kind: 'invalid' });
    expect(reads).not.toHaveBeenCalled();

    // A tag it does not hold: the space is read, and the page built.
    expect((await list(['other'])).value).not.toBeNull();
    expect(reads).toHaveBeenCalledTimes(1);
    expect(pages).toHaveBeenCalledTimes(1);
    // `*` on a detail: the pipeline is read to know it exists.
    expect((await detail(['*'])).value).not.toBeNull();
    expect(reads).toHaveBeenCalledTimes(2);
    // Another reader: nothing kept for it.
    expect((await list([first.tag], w.editor)).value).not.toBeNull();
    expect(reads).toHaveBeenCalledTimes(3);

    // A kept version older than the data: the tag does not match, so the space is read, and its
    // version, still the tag's, answers 304.
    keeps = { ...answer, dataVersion: `${answer.dataVersion}0` };
    expect(await list([first.tag])).toEqual({ tag: first.tag, value: null });
    expect(reads).toHaveBeenCalledTimes(4);
    expect(pages).toHaveBeenCalledTimes(2);
    // A kept role that does not allow reading: read as usual, which decides.
    keeps = { ...answer, role: null };
    expect(await list([first.tag])).toEqual({ tag: first.tag, value: null });
    expect(reads).toHaveBeenCalledTimes(5);
    await w.services.members.remove(w.admin, 'acme', w.viewer.userId);
    await expect(list([first.tag])).rejects.toMatchObject({ code: 'SPACE_NOT_FOUND' });
  });

  it('sets and clears the team, refusing a team of another space', async () => {
    const { w, byId } = await fleet();
    const id = byId.get('orders_daily')!.pipeline.id;
    const foreign = await w.services.teams.create(w.outsider, 'other', { name: 'Theirs' });
    await expect(w.services.pipelines.setTeam(w.editor, 'acme', id, foreign.id)).rejects.toMatchObject({
      kind: 'invalid',
      code: 'TEAM_NOT_FOUND',
      details: [{ field: 'team_id' }],
    });
    const team = await w.services.teams.create(w.admin, 'acme', { name: 'Ours' });
    expect((await w.services.pipelines.setTeam(w.editor, 'acme', id, team.id)).pipeline.teamId).toBe(team.id);
    expect((await w.services.pipelines.setTeam(w.editor, 'acme', id, null)).pipeline.teamId).toBeNull();
    await w.services.pipelines.setTeam(w.editor, 'acme', id, team.id);
    await w.services.teams.delete(w.admin, 'acme', team.id);
    expect((await w.services.pipelines.get(w.viewer, 'acme', id)).pipeline.teamId).toBeNull();
  });

  it('sets criticality to a known value or null', async () => {
    const { w, byId } = await fleet();
    const id = byId.get('orders_daily')!.pipeline.id;
    await expect(w.services.pipelines.setCriticality(w.editor, 'acme', id, 'urgent')).rejects.toMatchObject({ details: [{ field: 'criticality' }] });
    expect((await w.services.pipelines.setCriticality(w.editor, 'acme', id, 'low')).pipeline.criticality).toBe('low');
    expect((await w.services.pipelines.setCriticality(w.editor, 'acme', id, null)).pipeline.criticality).toBeNull();
  });

  it('answers not_found for a pipeline of another space used through this space', async () => {
    const { w, byId } = await fleet();
    const id = byId.get('orders_daily')!.pipeline.id;
    await expect(w.services.pipelines.get(w.outsider, 'other', id)).rejects.toMatchObject({ code: 'PIPELINE_NOT_FOUND' });
    await expect(w.services.pipelines.setCriticality(w.outsider, 'other', id, 'low')).rejects.toMatchObject({ code: 'PIPELINE_NOT_FOUND' });
    await expect(w.services.pipelines.watch(w.outsider, 'other', id)).rejects.toMatchObject({ code: 'PIPELINE_NOT_FOUND' });
    expect((await w.services.pipelines.get(w.viewer, 'acme', id)).pipeline.criticality).toBeNull();
  });
});
