import type { CronSchedules } from '../background/cron';
import { DomainError, type ErrorDetail, invalid } from '../errors';
import { sha256 } from '../ports/system';
import { fakeJsonReader, fakeSqlParser } from '../testing/fake-definition-tools';
import { type CheckedDefinition, checkDefinition, type PipelineSpec } from './definition';
import { canonicalJson, specHash } from './spec-hash';

const tools = { reader: fakeJsonReader, sql: fakeSqlParser };
const text = (definition: unknown) => JSON.stringify(definition, null, 2);
const check = (definition: unknown, extra: Partial<typeof tools & { cron: CronSchedules }> = {}) =>
  checkDefinition(typeof definition === 'string' ? definition : text(definition), 'json', { ...tools, ...extra });

async function spec(definition: unknown): Promise<PipelineSpec> {
  const checked = await check(definition);
  if (!checked.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(checked.errors)}`);
  return checked.spec;
}

async function errors(definition: unknown, extra: Partial<typeof tools & { cron: CronSchedules }> = {}): Promise<ErrorDetail[]> {
  const checked = await check(definition, extra);
  if (checked.ok) throw new Error('expected problems, the definition was valid');
  return checked.errors;
}

/** Only field and reason, to compare lists of problems. */
const said = (details: ErrorDetail[]) => details.map((d) => ({ field: d.field, reason: d.reason }));

/** 1-based line and column of the first `needle` in `source` (after `after`, if given). */
function where(source: string, needle: string, after = ''): { line: number; column: number } {
  const offset = source.indexOf(needle, after ? source.indexOf(after) : 0);
  if (offset === -1) throw new Error(`${needle} is not in the text`);
  const lines = source.slice(0, offset).split('\n');
  return { line: lines.length, column: (lines.at(-1) as string).length + 1 };
}

const seed3 = {
  name: 'user-activity',
  steps: [
    {
      name: 'load',
      config: {
        query_type: 'sql',
        query: 'SELECT * FROM activity',
        input_datasets: ['activity'],
        output_datasets: ['analytics.user_activity'],
        job_type: 'load',
      },
    },
    {
      name: 'activity',
      config: {
        query_type: 'sql',
        query: 'SELECT u.id FROM users u JOIN events e ON e.user_id = u.id',
        output_datasets: ['activity'],
        job_type: 'data-transform',
      },
    },
    { name: 'users', config: { query_type: 'sql', query: 'SELECT * FROM app.users', output_datasets: ['users'], job_type: 'extract' } },
    { name: 'events', config: { query_type: 'sql', query: 'SELECT * FROM app.events', output_datasets: ['events'], job_type: 'extract' } },
  ],
};

const seed2 = {
  name: 'user-activity',
  sources: [
    { name: 'users', query: 'SELECT * FROM app.users' },
    { name: 'events', query: 'SELECT * FROM app.events' },
  ],
  transforms: [{ name: 'activity', query: 'SELECT u.id FROM users u JOIN events e ON e.user_id = u.id' }],
  destinations: [{ name: 'analytics.user_activity', from: 'activity', mode: 'replace', step: 'load' }],
};

describe('checkDefinition: normalizing', () => {
  it('fills the defaults of every setting', async () => {
    const normalized = await spec(seed3);
    expect(normalized).toMatchObject({
      name: 'user-activity',
      version: null,
      description: null,
      owner: null,
      tags: [],
      schedule: null,
      engine: 'embedded',
      warehouse: null,
      max_active_runs: 1,
      timeout_seconds: null,
      variables: {},
    });
  });

  it('keeps the settings given; a numeric version becomes its text', async () => {
    const normalized = await spec({
      ...seed3,
      version: 2.5,
      description: 'activity per user',
      owner: 'data-team',
      tags: ['daily', 'core'],
      schedule: '0 6 * * *',
      engine: 'argo-main',
      warehouse: 'dwh',
      max_active_runs: 3,
      timeout_seconds: 3600,
    });
    expect(normalized).toMatchObject({
      version: '2.5',
      description: 'activity per user',
      owner: 'data-team',
      tags: ['daily', 'core'],
      schedule: '0 6 * * *',
      engine: 'argo-main',
      warehouse: 'dwh',
      max_active_runs: 3,
      timeout_seconds: 3600,
    });
  });

  it('orders steps to run after what they read, ties in the order written, depends_on in run order', async () => {
    const normalized = await spec(seed3);
    expect(normalized.steps.map((s) => s.name)).toEqual(['users', 'events', 'activity', 'load']);
    expect(normalized.steps.map((s) => s.depends_on)).toEqual([[], [], ['users', 'events'], ['activity']]);
    // Input datasets not given are the tables the query reads.
    expect(normalized.steps[2].config.input_datasets).toEqual(['users', 'events']);
    expect(normalized.steps[0].config.input_datasets).toEqual(['app.users']);
  });

  it('adds the given depends_on to the writers of what a step reads', async () => {
    const normalized = await spec({
      name: 'p',
      steps: [
        { name: 'b', config: { query_type: 'sql', query: 'SELECT 1', output_datasets: ['b'], job_type: 'extract' }, depends_on: ['c'] },
        { name: 'a', config: { query_type: 'sql', query: 'SELECT * FROM b', output_datasets: ['a'], job_type: 'data-transform' }, depends_on: ['c'] },
        { name: 'c', config: { query_type: 'sql', query: 'SELECT 2', output_datasets: ['c_out'], job_type: 'extract' } },
        { name: 'd', config: { query_type: 'sql', query: 'SELECT * FROM a', output_datasets: ['t'], job_type: 'load' } },
      ],
    });
    expect(normalized.steps.map((s) => [s.name, s.depends_on])).toEqual([
      ['c', []],
      ['b', ['c']],
      ['a', ['c', 'b']],
      ['d', ['a']],
    ]);
  });

  it('runs a step written earlier first among those ready, even when it became ready later', async () => {
    const normalized = await spec({
      name: 'p',
      steps: [
        { name: 'a', config: { query_type: 'sql', query: 'SELECT * FROM d', output_datasets: ['t1'], job_type: 'load' } },
        { name: 'b', config: { query_type: 'sql', query: 'SELECT * FROM c', output_datasets: ['t2'], job_type: 'load' } },
        { name: 'c', config: { query_type: 'sql', query: 'SELECT 1', output_datasets: ['c'], job_type: 'extract' } },
        { name: 'd', config: { query_type: 'sql', query: 'SELECT 2', output_datasets: ['d'], job_type: 'extract' } },
      ],
    });
    expect(normalized.steps.map((s) => s.name)).toEqual(['c', 'b', 'd', 'a']);
  });

  it('normalizes sources, transforms and destinations to the same steps as the steps shape', async () => {
    const fromSeed2 = await spec(seed2);
    const fromSeed3 = await spec({
      ...seed3,
      steps: seed3.steps.map((s) => (s.name === 'load' ? { ...s, config: { ...s.config, query: 'SELECT * FROM "activity"', mode: 'replace' } } : s)),
    });
    expect(fromSeed2.steps).toEqual(fromSeed3.steps);
    expect(fromSeed2.steps.find((s) => s.name === 'load')?.config).toEqual({
      query_type: 'sql',
      query: 'SELECT * FROM "activity"',
      input_datasets: ['activity'],
      output_datasets: ['analytics.user_activity'],
      job_type: 'load',
      mode: 'replace',
    });
  });

  it('names a destination step after its table unless it gives `step`, quoting a schema-qualified `from`', async () => {
    const normalized = await spec({
      name: 'p',
      sources: [{ name: 'staging.users', query: 'SELECT * FROM app.users' }],
      destinations: [{ name: 'analytics.users', from: 'staging.users', mode: 'merge', key: ['id'] }],
    });
    expect(normalized.steps[1]).toEqual({
      name: 'analytics.users',
      config: {
        query_type: 'sql',
        query: 'SELECT * FROM "staging"."users"',
        input_datasets: ['staging.users'],
        output_datasets: ['analytics.users'],
        job_type: 'load',
        mode: 'merge',
        key: ['id'],
      },
      depends_on: ['staging.users'],
    });
  });

  it('takes a normalized spec back as a definition, unchanged', async () => {
    const normalized = await spec({
      ...seed2,
      variables: { since: '2026-01-01' },
      sources: [{ ...seed2.sources[0], query: 'SELECT * FROM app.users WHERE d > :since' }, seed2.sources[1]],
    });
    expect(await spec(normalized)).toEqual(normalized);
  });

  it('gives :last_cursor to incremental sources', async () => {
    const normalized = await spec({
      name: 'p',
      sources: [{ name: 'events', query: 'SELECT * FROM app.events WHERE id > :last_cursor', incremental: { cursor_column: 'id' } }],
      destinations: [{ name: 'dw.events', from: 'events', mode: 'append' }],
    });
    expect(normalized.steps[0].config.incremental).toEqual({ cursor_column: 'id' });
  });
});

describe('checkDefinition: refusing', () => {
  it('answers a syntax error of the text as its problems, without throwing', async () => {
    const checked = await check('{"name": ');
    expect(checked).toMatchObject({ ok: false, errors: [{ field: '', line: 1, column: 1 }], warnings: [] });
    expect((checked as { errors: ErrorDetail[] }).errors[0].reason).toMatch(/^invalid JSON/);
  });

  it('rethrows what is not a refusal of the text', async () => {
    const broken = {
      read: () => {
        throw new Error('disk on fire');
      },
    };
    await expect(checkDefinition('{}', 'json', { ...tools, reader: broken })).rejects.toThrow('disk on fire');
  });

  it('wants an object at the root', async () => {
    expect(said(await errors([1, 2]))).toEqual([{ field: '', reason: 'must be an object (a mapping of fields)' }]);
  });

  it('wants a name matching the pattern', async () => {
    expect(said(await errors({ steps: seed3.steps }))).toEqual([{ field: '/name', reason: 'is required' }]);
    expect(said(await errors({ ...seed3, name: 'User Activity' }))).toEqual([
      { field: '/name', reason: expect.stringMatching(/^must be lowercase letters, digits/) },
    ]);
    expect(said(await errors({ ...seed3, name: 7 }))).toEqual([{ field: '/name', reason: 'must be a string' }]);
  });

  it('blames an unknown field on its key, wherever it is', async () => {
    const definition = {
      name: 'p',
      colour: 'blue',
      sources: [{ name: 'a', query: 'SELECT 1', extra: 1 }],
      destinations: [{ name: 't', from: 'a', mode: 'replace', keys: ['id'] }],
    };
    const source = text(definition);
    const found = await errors(source);
    expect(said(found)).toEqual([
      { field: '/colour', reason: 'is not an accepted field' },
      { field: '/sources/0/extra', reason: 'is not an accepted field' },
      { field: '/destinations/0/keys', reason: 'is not an accepted field' },
    ]);
    expect(found[0]).toMatchObject(where(source, '"colour"'));
    expect(found[1]).toMatchObject(where(source, '"extra"'));
  });

  it('says the type a field must have', async () => {
    const found = await errors({
      ...seed3,
      version: true,
      description: 3,
      tags: 'daily',
      engine: null,
      warehouse: 1,
      max_active_runs: 0,
      timeout_seconds: 1.5,
      variables: [],
    });
    expect(said(found)).toEqual([
      { field: '/version', reason: 'must be a non-empty string or a number' },
      { field: '/description', reason: 'must be a string or null' },
      { field: '/tags', reason: 'must be an array' },
      { field: '/engine', reason: 'must be a string' },
      { field: '/warehouse', reason: 'must be a string or null' },
      { field: '/max_active_runs', reason: 'must be an integer from 1 to 100' },
      { field: '/timeout_seconds', reason: 'must be an integer from 1 to 86400, or null' },
      { field: '/variables', reason: 'must be an object' },
    ]);
  });

  it('bounds max_active_runs and timeout_seconds', async () => {
    expect(said(await errors({ ...seed3, max_active_runs: 101, timeout_seconds: 86_401 })).map((d) => d.field)).toEqual([
      '/max_active_runs',
      '/timeout_seconds',
    ]);
    expect((await spec({ ...seed3, max_active_runs: 100, timeout_seconds: 86_400 })).timeout_seconds).toBe(86_400);
  });

  it('wants exactly one shape', async () => {
    expect(said(await errors({ name: 'p' }))).toEqual([
      { field: '', reason: 'must have `steps`, or `sources` (with optional `transforms` and `destinations`)' },
    ]);
    expect(said(await errors({ ...seed2, steps: seed3.steps }))).toContainEqual({ field: '', reason: 'must have either `steps` or `sources`, not both' });
    expect(said(await errors({ ...seed3, transforms: [] }))).toEqual([{ field: '/transforms', reason: 'belongs with `sources`, not with `steps`' }]);
    expect(said(await errors({ name: 'p', steps: [] }))).toEqual([{ field: '/steps', reason: 'must list at least one item' }]);
  });

  it('checks each step of the steps shape', async () => {
    const found = await errors({
      name: 'p',
      steps: [
        { name: '-bad', config: { query_type: 'python', query: 'SELECT 1', job_type: 'copy', output_datasets: ['Bad-Name'] } },
        { config: { query: 'SELECT 1', job_type: 'extract', query_type: 'sql' } },
        { name: 'x' },
        'step',
      ],
    });
    expect(said(found)).toEqual([
      { field: '/steps/0/name', reason: expect.stringMatching(/^must be letters, digits/) },
      { field: '/steps/0/config/query_type', reason: 'must be `sql`' },
      { field: '/steps/0/config/job_type', reason: 'must be one of extract, data-transform, load' },
      { field: '/steps/0/config/output_datasets/0', reason: 'must be a lowercase identifier, optionally schema-qualified (`schema.table`)' },
      { field: '/steps/1/name', reason: 'is required' },
      { field: '/steps/2/config', reason: 'is required' },
      { field: '/steps/3', reason: 'must be an object' },
    ]);
    expect(found).toHaveLength(7);
  });

  it('wants a merge key with mode merge, and no key otherwise', async () => {
    const base = { name: 'p', sources: [{ name: 'a', query: 'SELECT 1' }] };
    expect(said(await errors({ ...base, destinations: [{ name: 't', from: 'a', mode: 'merge' }] }))).toEqual([
      { field: '/destinations/0/key', reason: 'is required with mode `merge`' },
    ]);
    expect(said(await errors({ ...base, destinations: [{ name: 't', from: 'a', mode: 'merge', key: [] }] }))).toEqual([
      { field: '/destinations/0/key', reason: 'must name at least one column' },
    ]);
    expect(said(await errors({ ...base, destinations: [{ name: 't', from: 'a', mode: 'append', key: ['id'] }] }))).toEqual([
      { field: '/destinations/0/key', reason: 'is accepted only with mode `merge`' },
    ]);
    expect(said(await errors({ ...base, destinations: [{ name: 't', from: 'a', mode: 'upsert' }] }))).toEqual([
      { field: '/destinations/0/mode', reason: 'must be one of replace, append, merge' },
    ]);
  });

  it('refuses mode and incremental on steps they do not belong to', async () => {
    const found = await errors({
      name: 'p',
      steps: [
        {
          name: 'a',
          config: {
            query_type: 'sql',
            query: 'SELECT 1',
            output_datasets: ['a'],
            job_type: 'data-transform',
            mode: 'append',
            incremental: { cursor_column: 'id' },
          },
        },
      ],
    });
    expect(said(found)).toEqual([
      { field: '/steps/0/config/mode', reason: 'is accepted only on load steps' },
      { field: '/steps/0/config/incremental', reason: 'is accepted only on extract steps' },
    ]);
  });

  it('checks the schedule: 5 fields, then the cron adapter when given', async () => {
    expect(said(await errors({ ...seed3, schedule: '0 6 * *' }))).toEqual([
      { field: '/schedule', reason: 'must be a cron expression of 5 fields: minute hour day-of-month month day-of-week' },
    ]);
    const cron: CronSchedules = {
      check(expression, field) {
        if (expression.startsWith('99')) throw invalid(field ?? 'cron', 'is not a valid cron expression: minute out of range');
      },
      next: () => null,
    };
    expect(said(await errors({ ...seed3, schedule: '99 6 * * *' }, { cron }))).toEqual([
      { field: '/schedule', reason: 'is not a valid cron expression: minute out of range' },
    ]);
    expect((await check({ ...seed3, schedule: '0 6 * * *' }, { cron })).ok).toBe(true);
  });

  it('rethrows what the cron adapter throws that is not a refusal', async () => {
    const cron: CronSchedules = {
      check() {
        throw new DomainError('unavailable', 'X', 'gone');
      },
      next: () => null,
    };
    await expect(check({ ...seed3, schedule: '0 6 * * *' }, { cron })).rejects.toThrow('gone');
  });

  it('checks variables: names, reserved names, values', async () => {
    const found = await errors({ ...seed3, variables: { Since: 1, last_cursor: 0, limit: { n: 1 }, ok: null } });
    expect(said(found)).toEqual([
      { field: '/variables/Since', reason: expect.stringMatching(/^is not a valid variable name/) },
      { field: '/variables/last_cursor', reason: 'is reserved: incremental sources receive it from their last run' },
      { field: '/variables/limit', reason: 'must be a string, a number, a boolean or null' },
    ]);
  });
});

describe('checkDefinition: SQL', () => {
  it('places a syntax error in the text and in the query', async () => {
    const definition = {
      name: 'p',
      sources: [
        { name: 'a', query: 'SELECT 1' },
        { name: 'b', query: 'SELECT *\nFROM x WHERE @@ 1' },
      ],
    };
    const source = text(definition);
    const [problem] = await errors(source);
    expect(problem).toEqual({
      field: '/sources/1/query',
      reason: 'does not parse: syntax error at or near "@@"',
      ...where(source, '@@'),
      queryLine: 2,
      queryColumn: 14,
    });
  });

  it('refuses more than one statement, and none', async () => {
    expect(said(await errors({ name: 'p', sources: [{ name: 'a', query: 'SELECT 1; SELECT 2' }] }))).toEqual([
      { field: '/sources/0/query', reason: 'holds 2 SQL statements: a step runs exactly one' },
    ]);
    expect(said(await errors({ name: 'p', sources: [{ name: 'a', query: ';' }] }))).toEqual([
      { field: '/sources/0/query', reason: 'holds no SQL statement: a step runs exactly one' },
    ]);
    expect(said(await errors({ name: 'p', sources: [{ name: 'a', query: '  ' }] }))).toEqual([{ field: '/sources/0/query', reason: 'must not be empty' }]);
  });

  it('places an unknown :variable where it is written', async () => {
    const definition = { name: 'p', variables: { since: '2026-01-01' }, sources: [{ name: 'a', query: 'SELECT * FROM t\nWHERE d > :since AND n < :limit' }] };
    const source = text(definition);
    const found = await errors(source);
    expect(found).toEqual([
      {
        field: '/sources/0/query',
        reason: '`:limit` is not a declared variable (declare it under `variables`)',
        ...where(source, ':limit'),
        queryLine: 2,
        queryColumn: 26,
      },
    ]);
  });

  it('gives :last_cursor only to incremental sources', async () => {
    expect(said(await errors({ name: 'p', sources: [{ name: 'a', query: 'SELECT * FROM t WHERE id > :last_cursor' }] }))).toEqual([
      { field: '/sources/0/query', reason: '`:last_cursor` is given only to incremental sources (with `incremental: {cursor_column}`)' },
    ]);
  });

  it('does not take a ::cast for a variable', async () => {
    expect((await check({ name: 'p', sources: [{ name: 'a', query: "SELECT '1'::int" }] })).ok).toBe(true);
  });
});

describe('checkDefinition: the graph of steps', () => {
  const step = (name: string, query: string, extra: Record<string, unknown> = {}, jobType = 'data-transform') => ({
    name,
    config: { query_type: 'sql', query, output_datasets: [name], job_type: jobType, ...extra },
  });

  it('names the steps of a cycle', async () => {
    const found = await errors({
      name: 'p',
      steps: [
        step('start', 'SELECT 1'),
        step('a', 'SELECT * FROM c'),
        step('b', 'SELECT * FROM a'),
        step('c', 'SELECT * FROM b JOIN start ON true'),
        step('after', 'SELECT * FROM c'),
      ],
    });
    expect(said(found)).toEqual([{ field: '/steps/1/name', reason: 'is in a cycle: a → c → b → a (each step depends on the next, so none can run first)' }]);
  });

  it('finds a cycle made by depends_on, and a step that depends on itself', async () => {
    const found = await errors({
      name: 'p',
      steps: [
        { ...step('a', 'SELECT 1'), depends_on: ['b'] },
        { ...step('b', 'SELECT 1'), depends_on: ['a'] },
        { ...step('c', 'SELECT 1'), depends_on: ['c'] },
      ],
    });
    expect(said(found)).toEqual([
      { field: '/steps/0/name', reason: 'is in a cycle: a → b → a (each step depends on the next, so none can run first)' },
      { field: '/steps/2/name', reason: 'depends on itself (c → c)' },
    ]);
  });

  it('refuses two steps of one name, and two steps writing one dataset', async () => {
    const found = await errors({
      name: 'p',
      steps: [
        step('a', 'SELECT 1'),
        step('a', 'SELECT 2', { output_datasets: ['a2'] }),
        step('b', 'SELECT 3', { output_datasets: ['a'] }),
        step('t', 'SELECT * FROM a', {}, 'load'),
      ],
    });
    expect(said(found)).toEqual([
      { field: '/steps/1/name', reason: 'duplicates the name of the step at /steps/0: step names are unique' },
      { field: '/steps/2/config/output_datasets/0', reason: '`a` is also written by step `a`: a dataset has one writer' },
    ]);
  });

  it('refuses a named input that no step writes, and a destination from nothing; a table only in SQL is the warehouse’s', async () => {
    const found = await errors({
      name: 'p',
      steps: [step('a', 'SELECT * FROM warehouse_table', { input_datasets: ['missing'] }), step('t', 'SELECT * FROM a', {}, 'load')],
    });
    expect(said(found)).toEqual([{ field: '/steps/0/config/input_datasets/0', reason: '`missing` is read but no step writes it' }]);
    expect(
      said(await errors({ name: 'p', sources: [{ name: 'a', query: 'SELECT 1' }], destinations: [{ name: 't', from: 'nothing', mode: 'replace' }] })),
    ).toEqual([{ field: '/destinations/0/from', reason: '`nothing` is read but no step writes it' }]);
    const ok = await spec({ name: 'p', steps: [step('a', 'SELECT * FROM warehouse_table'), step('t', 'SELECT * FROM a', {}, 'load')] });
    expect(ok.steps[0].config.input_datasets).toEqual(['warehouse_table']);
  });

  it('refuses depends_on naming no step', async () => {
    expect(said(await errors({ name: 'p', steps: [{ ...step('a', 'SELECT 1', {}, 'load'), depends_on: ['ghost'] }] }))).toEqual([
      { field: '/steps/0/depends_on/0', reason: 'names `ghost`, which is not a step of this pipeline' },
    ]);
  });

  it('does not count a query naming its own output as a dependency on itself', async () => {
    const ok = await spec({ name: 'p', steps: [step('t', 'SELECT * FROM src WHERE id NOT IN (SELECT id FROM t)', {}, 'load')] });
    expect(ok.steps[0]).toMatchObject({ depends_on: [], config: { input_datasets: ['src'] } });
  });
});

describe('checkDefinition: many problems, warnings', () => {
  it('says every problem at once, in the order of the text', async () => {
    const definition = {
      name: 'Bad Name',
      variables: { used: 1 },
      sources: [
        { name: 'a', query: 'SELECT * FROM t WHERE x = :nope', typo: true },
        { name: 'a', query: 'SELECT @@' },
      ],
      transforms: [{ name: 'c', query: 'SELECT * FROM a' }],
      destinations: [{ name: 't', from: 'zzz', mode: 'merge' }],
    };
    const source = text(definition);
    const found = await errors(source);
    expect(said(found).map((d) => d.field)).toEqual([
      '/name',
      '/sources/0/query',
      '/sources/0/typo',
      '/sources/1/name',
      '/sources/1/name',
      '/sources/1/query',
      // A missing member is placed at the object that lacks it: before `from`.
      '/destinations/0/key',
      '/destinations/0/from',
    ]);
    const lines = found.map((d) => d.line ?? 0);
    expect(lines).toEqual([...lines].sort((x, y) => x - y));
  });

  it('warns of an output nobody reads and of an unused variable, without refusing', async () => {
    const source = text({
      name: 'p',
      variables: { unused: 1 },
      steps: [{ name: 'a', config: { query_type: 'sql', query: 'SELECT 1', output_datasets: ['a'], job_type: 'extract' } }],
    });
    const checked = (await check(source)) as Extract<CheckedDefinition, { ok: true }>;
    expect(checked.ok).toBe(true);
    expect(checked.warnings).toEqual([
      { field: '/variables/unused', reason: 'is not used by any query', ...where(source, '"unused"') },
      { field: '/steps/0', reason: 'writes `a`, which no step reads', ...where(source, '{', '"steps"') },
    ]);
  });

  it('warns with problems too', async () => {
    const checked = await check({
      name: 'p',
      variables: { v: 1 },
      sources: [{ name: 'a', query: 'SELECT 1' }],
      destinations: [{ name: 't', from: 'a', mode: 'merge' }],
    });
    expect(checked.ok).toBe(false);
    expect(said(checked.warnings)).toEqual([{ field: '/variables/v', reason: 'is not used by any query' }]);
  });
});

describe('specHash', () => {
  it('is the same for the same content in any key order, and differs for other content', async () => {
    const a = await spec(seed2);
    const reordered = JSON.parse(canonicalJson(a));
    expect(canonicalJson(reordered)).toBe(canonicalJson(a));
    const reversed = Object.fromEntries(Object.entries(a).reverse());
    expect(await specHash(reversed as PipelineSpec, sha256)).toBe(await specHash(a, sha256));
    expect(await specHash(a, sha256)).toMatch(/^[0-9a-f]{64}$/);
    const changed = await spec({
      ...seed2,
      transforms: [{ name: 'activity', query: 'SELECT u.id FROM users u JOIN events e ON e.user_id = u.id WHERE true' }],
    });
    expect(await specHash(changed, sha256)).not.toBe(await specHash(a, sha256));
  });

  it('sorts keys at every depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}');
  });
});
