import { type CheckedDefinition, checkDefinition, type DefinitionFormat, type ErrorDetail, type PipelineSpec, sha256, specHash } from '@signalbox/core';
import { yamlDefinitionReader } from './definition-reader';
import { pgSqlParser } from './pg-sql-parser';

// checkDefinition of the core with the real reader (yaml) and PostgreSQL's parser: the places it
// reports are the ones an editor shows for the text as sent.
const tools = { reader: yamlDefinitionReader(), sql: pgSqlParser() };
const check = (text: string, format: DefinitionFormat = 'yaml') => checkDefinition(text, format, tools);

async function spec(text: string, format: DefinitionFormat = 'yaml'): Promise<PipelineSpec> {
  const checked = await check(text, format);
  if (!checked.ok) throw new Error(`expected a valid definition, got ${JSON.stringify(checked.errors)}`);
  return checked.spec;
}

async function errors(text: string, format: DefinitionFormat = 'yaml'): Promise<ErrorDetail[]> {
  const checked = await check(text, format);
  if (checked.ok) throw new Error('expected problems, the definition was valid');
  return checked.errors;
}

const seed2Yaml = `name: user-activity
version: 1.0
description: Activity per user, daily
schedule: "0 6 * * *"
variables:
  since: "2026-01-01"
sources:
  - name: users
    query: SELECT id, email FROM app.users
  - name: events
    query: |
      SELECT user_id, kind, at
      FROM app.events
      WHERE at >= :since
        AND id > :last_cursor
    incremental:
      cursor_column: id
transforms:
  - name: activity
    query: >
      SELECT u.id, count(*) AS n
      FROM users u JOIN events e ON e.user_id = u.id
      GROUP BY u.id
destinations:
  - name: analytics.user_activity
    from: activity
    mode: merge
    key: [id]
`;

// The same pipeline in the steps shape, as JSON, keys in another order.
const seed3Json = `{
  "steps": [
    {"config": {"job_type": "load", "query_type": "sql", "query": "SELECT * FROM \\"activity\\"", "input_datasets": ["activity"],
      "output_datasets": ["analytics.user_activity"], "mode": "merge", "key": ["id"]}, "name": "analytics.user_activity"},
    {"name": "activity", "config": {"query_type": "sql", "job_type": "data-transform", "output_datasets": ["activity"],
      "query": "SELECT u.id, count(*) AS n FROM users u JOIN events e ON e.user_id = u.id GROUP BY u.id\\n"}},
    {"name": "users", "config": {"query_type": "sql", "query": "SELECT id, email FROM app.users", "job_type": "extract", "output_datasets": ["users"]}},
    {"name": "events", "config": {"query_type": "sql", "job_type": "extract", "output_datasets": ["events"],
      "incremental": {"cursor_column": "id"},
      "query": "SELECT user_id, kind, at\\nFROM app.events\\nWHERE at >= :since\\n  AND id > :last_cursor\\n"}}
  ],
  "variables": {"since": "2026-01-01"},
  "schedule": "0 6 * * *",
  "description": "Activity per user, daily",
  "version": 1.0,
  "name": "user-activity"
}`;

describe('checkDefinition with the real reader and parser', () => {
  it('normalizes the sources shape in YAML and the steps shape in JSON to the same spec and hash', async () => {
    const fromYaml = await spec(seed2Yaml);
    const fromJson = await spec(seed3Json, 'json');
    expect(fromYaml.steps.map((s) => [s.name, s.depends_on])).toEqual([
      ['users', []],
      ['events', []],
      ['activity', ['users', 'events']],
      ['analytics.user_activity', ['activity']],
    ]);
    expect(fromYaml.steps[2].config.input_datasets).toEqual(['users', 'events']);
    expect(fromYaml.version).toBe('1');
    expect(fromJson).toEqual(fromYaml);
    expect(await specHash(fromJson, sha256)).toBe(await specHash(fromYaml, sha256));
  });

  it('keeps the hash across layout and key order, and changes it with the content', async () => {
    const base = await specHash(await spec(seed2Yaml), sha256);
    const relaid = seed2Yaml
      .replace('mode: merge\n    key: [id]', 'key:\n      - id\n    mode: "merge"')
      .replace('name: user-activity\n', '# comment\nname:   user-activity\n');
    expect(await specHash(await spec(relaid), sha256)).toBe(base);
    expect(await specHash(await spec(seed2Yaml.replace('key: [id]', 'key: [id, day]')), sha256)).not.toBe(base);
    expect(await specHash(await spec(seed2Yaml.replace('since: "2026-01-01"', 'since: "2026-02-01"')), sha256)).not.toBe(base);
  });

  it('answers YAML that does not parse with its line and column', async () => {
    const found = await errors('name: p\nsources:\n  - name: a\n   query: x\n');
    expect(found[0]).toMatchObject({ field: '', line: 4 });
    expect(found[0].reason).toEqual(expect.any(String));
  });

  it('places a SQL error inside a YAML block scalar', async () => {
    const text = `name: p
sources:
  - name: a
    query: |
      SELECT id,
             name
      FORM app.users
`;
    // `name FORM` is a column and its alias: PostgreSQL stops at `app`.
    const [problem, ...rest] = await errors(text);
    expect(rest).toEqual([]);
    expect(problem).toEqual({
      field: '/sources/0/query',
      reason: 'does not parse: syntax error at or near "app"',
      line: 7,
      column: 12,
      queryLine: 3,
      queryColumn: 6,
    });
  });

  it('places a SQL error inside a JSON string with escapes', async () => {
    const text = '{"name": "p", "sources": [{"name": "a",\n  "query": "SELECT \\"id\\"\\nFROM t WHERE id = = 1"}]}';
    const [problem] = await errors(text, 'json');
    // The second `=` is character 19 of the query's second line; in the text, the three escapes
    // before it take 2 characters each.
    expect(problem).toEqual({
      field: '/sources/0/query',
      reason: 'does not parse: syntax error at or near "="',
      line: 2,
      column: 46,
      queryLine: 2,
      queryColumn: 19,
    });
    expect(text.split('\n')[1].slice(44, 46)).toBe(' =');
  });

  it('places an unknown :variable, and refuses :last_cursor outside an incremental source', async () => {
    const text = `name: p
variables: {since: 1}
sources:
  - name: a
    query: |
      SELECT * FROM t
      WHERE d > :since AND n < :limit
  - name: b
    query: SELECT * FROM u WHERE id > :last_cursor
`;
    expect(await errors(text)).toEqual([
      {
        field: '/sources/0/query',
        reason: '`:limit` is not a declared variable (declare it under `variables`)',
        line: 7,
        column: 32,
        queryLine: 2,
        queryColumn: 26,
      },
      {
        field: '/sources/1/query',
        reason: '`:last_cursor` is given only to incremental sources (with `incremental: {cursor_column}`)',
        line: 9,
        column: 39,
        queryLine: 1,
        queryColumn: 28,
      },
    ]);
  });

  it('refuses more than one statement', async () => {
    expect(await errors('name: p\nsources:\n  - name: a\n    query: SELECT 1; SELECT 2\n')).toEqual([
      { field: '/sources/0/query', reason: 'holds 2 SQL statements: a step runs exactly one', line: 4, column: 12 },
    ]);
  });

  it('points an unknown field at its key, a missing one at the object that lacks it, a bad value at the value', async () => {
    const text = `name: Bad_Name
owner: data
sources:
  - name: a
    query: SELECT 1
    incremental:
      cursor_colum: id
destinations:
  - from: a
    mode: merge
extra: true
`;
    expect(await errors(text)).toEqual([
      { field: '/name', reason: expect.stringMatching(/^must be lowercase letters/), line: 1, column: 7 },
      { field: '/sources/0/incremental/cursor_colum', reason: 'is not an accepted field', line: 7, column: 7 },
      { field: '/sources/0/incremental/cursor_column', reason: 'is required', line: 7, column: 7 },
      { field: '/destinations/0/name', reason: 'is required', line: 9, column: 5 },
      { field: '/destinations/0/key', reason: 'is required with mode `merge`', line: 9, column: 5 },
      { field: '/extra', reason: 'is not an accepted field', line: 11, column: 1 },
    ]);
  });

  it('names the steps of a cycle at the first one', async () => {
    const text = `name: p
steps:
  - name: a
    config: {query_type: sql, query: SELECT * FROM b, output_datasets: [a], job_type: data-transform}
  - name: b
    config: {query_type: sql, query: SELECT * FROM a, output_datasets: [b], job_type: data-transform}
  - name: t
    config: {query_type: sql, query: SELECT * FROM a, output_datasets: [t], job_type: load}
`;
    expect(await errors(text)).toEqual([
      { field: '/steps/0/name', reason: 'is in a cycle: a → b → a (each step depends on the next, so none can run first)', line: 3, column: 11 },
    ]);
  });

  it('refuses duplicate steps, two writers of one dataset and a dataset nothing writes', async () => {
    const text = `name: p
sources:
  - name: a
    query: SELECT 1
transforms:
  - name: a
    query: SELECT 2
destinations:
  - name: t
    from: missing
    mode: replace
`;
    expect(await errors(text)).toEqual([
      { field: '/transforms/0/name', reason: 'duplicates the name of the step at /sources/0: step names are unique', line: 6, column: 11 },
      { field: '/transforms/0/name', reason: '`a` is also written by step `a`: a dataset has one writer', line: 6, column: 11 },
      { field: '/destinations/0/from', reason: '`missing` is read but no step writes it', line: 10, column: 11 },
    ]);
  });

  it('does not take a CTE for a dataset, and keeps a warehouse table as an input', async () => {
    const text = `name: p
sources:
  - name: recent
    query: WITH r AS (SELECT * FROM raw.events) SELECT * FROM r JOIN dim.users u ON u.id = r.user_id
destinations:
  - name: t
    from: recent
`;
    const normalized = await spec(text);
    expect(normalized.steps[0].config.input_datasets).toEqual(['raw.events', 'dim.users']);
    expect(normalized.steps[1]).toMatchObject({ name: 't', depends_on: ['recent'], config: { mode: 'replace', query: 'SELECT * FROM "recent"' } });
  });

  it('says many problems of a JSON text at once, each at its line', async () => {
    const text = `{
  "name": "p",
  "steps": [
    {"name": "a", "config": {"query_type": "sql", "query": "SELEC 1", "job_type": "extract", "output_datasets": ["a"]}},
    {"name": "b", "config": {"query_type": "sql", "query": "SELECT 1", "job_type": "extractor"}, "depends_on": ["zz"]},
    {"name": "c", "config": {"query_type": "sql", "query": "SELECT 1", "job_type": "load", "output_datasets": ["a"]}}
  ]
}`;
    const checked: CheckedDefinition = await check(text, 'json');
    expect(checked.ok).toBe(false);
    const found = (checked as { errors: ErrorDetail[] }).errors;
    expect(found.map((d) => [d.field, d.line])).toEqual([
      ['/steps/0/config/query', 4],
      ['/steps/1/config/job_type', 5],
      ['/steps/1/depends_on/0', 5],
      ['/steps/2/config/output_datasets/0', 6],
    ]);
    expect(found[0]).toMatchObject({ column: text.split('\n')[3].indexOf('SELEC 1') + 1, queryLine: 1, queryColumn: 1 });
    expect(found[0].reason).toBe('does not parse: syntax error at or near "SELEC"');
  });
});
