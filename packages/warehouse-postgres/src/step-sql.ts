import { type StepOutcome, type StepPlan, type StepStatement, type TableName, WarehouseError } from '@signalbox/core';

/*
 * The SQL of a step, written once for both backends. It sees a warehouse only as a Session: one
 * statement at a time on one connection, values always bound. Identifiers are quoted here; the
 * user's SQL is used as it was given, always as a query of its own (a subquery or an EXPLAIN).
 */

export interface QueryResult {
  rows: Record<string, unknown>[];
  fields: { name: string }[];
  /**
   * The count of the statement's command tag: rows an INSERT, UPDATE, DELETE, MERGE or COPY
   * touched, rows a CREATE TABLE AS wrote (rows a SELECT answered); 0 for anything else.
   */
  affectedRows: number;
}

/**
 * One connection to a warehouse. A statement's own failure rejects with a `WarehouseError`
 * (`STEP_FAILED`, with its SQLSTATE); a lost connection with `WAREHOUSE_UNREACHABLE`.
 */
export interface Session {
  query(sql: string, params?: unknown[]): Promise<QueryResult>;
}

/** The record that a step of a run was committed: the key that makes a resumed run write each row once. */
const LEDGER_SCHEMA = 'signalbox';
const LEDGER = `${LEDGER_SCHEMA}.step_commits`;
const CREATE_LEDGER = `CREATE TABLE IF NOT EXISTS ${LEDGER} (
  run_id text NOT NULL,
  step text NOT NULL,
  rows bigint NOT NULL,
  cursor text,
  committed_at timestamptz NOT NULL,
  PRIMARY KEY (run_id, step)
)`;

/** SQLSTATEs of a CREATE … IF NOT EXISTS that lost a race: the object exists, committed by the winner. */
const CREATED_CONCURRENTLY = new Set(['23505', '42P06', '42P07']);

export const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

export const tableRef = (table: TableName) => `${quoteIdent(table.schema)}.${quoteIdent(table.name)}`;

/**
 * The user's query, ready to be used inside another statement: without a trailing semicolon, and
 * on lines of its own so that a trailing `-- comment` cannot swallow what follows.
 */
const userQuery = (sql: string) => `\n${sql.replace(/[\s;]+$/, '')}\n`;

const subquery = (sql: string) => `(${userQuery(sql)}) s`;

const sqlStateOf = (err: unknown) => (err instanceof WarehouseError ? err.sqlState : null);

/** Ends a transaction that failed; a connection that cannot even roll back is reported by the caller's error. */
const rollback = (s: Session) =>
  s.query('ROLLBACK').then(
    () => undefined,
    () => undefined,
  );

/** Runs `work` in a transaction, committed when `commit` and it succeeds, else rolled back. */
async function inTransaction<T>(s: Session, work: () => Promise<T>, commit = true): Promise<T> {
  await s.query('BEGIN');
  let result: T;
  try {
    result = await work();
  } catch (err) {
    await rollback(s);
    throw err;
  }
  await s.query(commit ? 'COMMIT' : 'ROLLBACK');
  return result;
}

/**
 * A CREATE … IF NOT EXISTS that another transaction may run at the same moment. PostgreSQL makes
 * the second wait for the first and then fails it with a unique violation, though the object now
 * exists: the savepoint keeps the transaction usable, and the object is there either way.
 */
async function createConcurrently(s: Session, sql: string): Promise<void> {
  await s.query('SAVEPOINT signalbox_create');
  try {
    await s.query(sql);
  } catch (err) {
    if (!CREATED_CONCURRENTLY.has(sqlStateOf(err) ?? '')) throw err;
    await s.query('ROLLBACK TO SAVEPOINT signalbox_create');
  }
  await s.query('RELEASE SAVEPOINT signalbox_create');
}

async function ensureSchema(s: Session, schema: string): Promise<void> {
  const found = await s.query('SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1', [schema]);
  if (found.rows.length === 0) await createConcurrently(s, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
}

/** Creates the ledger if it is missing, in a transaction of its own. */
export const ensureLedger = (s: Session): Promise<void> =>
  inTransaction(s, async () => {
    await ensureSchema(s, LEDGER_SCHEMA);
    await createConcurrently(s, CREATE_LEDGER);
  });

/**
 * Resolves the step's unqualified names in its search path, and creates the schemas it writes to
 * (one round trip when they exist, as they do after a pipeline's first run).
 */
async function enterStep(s: Session, step: StepStatement): Promise<void> {
  const schemas = [...new Set([...(step.output ? [step.output.schema] : []), ...step.searchPath.slice(0, 1)])];
  const path = step.searchPath.map(quoteIdent).join(', ');
  const { rows } = await s.query(
    `SELECT set_config('search_path', $1, true) AS path, array(SELECT nspname::text FROM pg_catalog.pg_namespace WHERE nspname = ANY($2::text[])) AS found`,
    [path, schemas],
  );
  const found = new Set(rows[0]?.found as string[]);
  for (const schema of schemas) if (!found.has(schema)) await createConcurrently(s, `CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
}

const tableExists = async (s: Session, table: TableName) =>
  (await s.query('SELECT 1 FROM pg_catalog.pg_tables WHERE schemaname = $1 AND tablename = $2', [table.schema, table.name])).rows.length > 0;

/** A step that writes a table: what the SQL below needs of it. */
type Writing = StepStatement & { output: TableName };

/** An empty table of the query's shape; the query is planned, not run. */
const createShape = (s: Session, step: Writing, ifNotExists: boolean) =>
  s.query(`CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${tableRef(step.output)} AS SELECT * FROM ${subquery(step.sql)} WITH NO DATA`, step.params);

/** The query's column names, from a run that stops before its first row. */
const columnsOf = async (s: Session, step: Writing) => (await s.query(`SELECT * FROM ${subquery(step.sql)} LIMIT 0`, step.params)).fields.map((f) => f.name);

/**
 * Writes the query's rows to the output and answers how many. A replace drops and creates the
 * table in the step's transaction (CREATE TABLE AS, PostgreSQL's fastest way to write a new
 * table); append and merge create its shape when it is missing, then insert or merge by column name.
 */
async function write(s: Session, step: StepStatement): Promise<number> {
  // A step without an output dataset runs its statement as it is (its own INSERT, UPDATE …).
  if (!isWriting(step)) return (await s.query(userQuery(step.sql), step.params)).affectedRows;
  const out = tableRef(step.output);
  const from = subquery(step.sql);
  if (step.mode === 'replace') {
    await s.query(`DROP TABLE IF EXISTS ${out}`);
    return (await s.query(`CREATE TABLE ${out} AS ${userQuery(step.sql)}`, step.params)).affectedRows;
  }
  await createShape(s, step, true);
  const columns = await columnsOf(s, step);
  const list = columns.map(quoteIdent).join(', ');
  if (step.mode === 'append') {
    return (await s.query(`INSERT INTO ${out} (${list}) SELECT ${list} FROM ${from}`, step.params)).affectedRows;
  }
  const key = step.key ?? [];
  if (key.length === 0) throw new WarehouseError('STEP_FAILED', `step ${step.step} merges into ${out} without a key`);
  const on = key.map((k) => `t.${quoteIdent(k)} = s.${quoteIdent(k)}`).join(' AND ');
  const updated = columns.filter((c) => !key.includes(c));
  const whenMatched = updated.length > 0 ? `UPDATE SET ${updated.map((c) => `${quoteIdent(c)} = s.${quoteIdent(c)}`).join(', ')}` : 'DO NOTHING';
  const values = columns.map((c) => `s.${quoteIdent(c)}`).join(', ');
  const merge = `MERGE INTO ${out} AS t USING ${from} ON ${on} WHEN MATCHED THEN ${whenMatched} WHEN NOT MATCHED THEN INSERT (${list}) VALUES (${values})`;
  return (await s.query(merge, step.params)).affectedRows;
}

const isWriting = (step: StepStatement): step is Writing => step.output !== null;

async function greatestCursor(s: Session, step: StepStatement): Promise<string | null> {
  if (!step.cursorColumn || !isWriting(step)) return null;
  const result = await s.query(`SELECT max(${quoteIdent(step.cursorColumn)})::text AS cursor FROM ${tableRef(step.output)}`);
  return (result.rows[0]?.cursor as string | null | undefined) ?? null;
}

/**
 * Writers of one table wait for each other (a transaction-scoped advisory lock on its name): two
 * runs creating the same new table would otherwise collide, and a step resumed while its first
 * attempt still runs then finds that attempt's ledger row instead of writing twice.
 */
const lockOutput = (s: Session, step: StepStatement) =>
  s.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
    step.output ? `signalbox.output:${JSON.stringify([step.output.schema, step.output.name])}` : `signalbox.step:${JSON.stringify([step.runId, step.step])}`,
  ]);

async function committedBefore(s: Session, step: StepStatement): Promise<StepOutcome | null> {
  const found = await s.query(`SELECT rows, cursor FROM ${LEDGER} WHERE run_id = $1 AND step = $2`, [step.runId, step.step]);
  const row = found.rows[0];
  return row ? { rows: Number(row.rows), cursor: (row.cursor as string | null) ?? null, replayed: true } : null;
}

/** Writes a step's output and its ledger row in one transaction; a step in the ledger already is answered from it. The ledger must exist. */
export const executeStep = (s: Session, step: StepStatement): Promise<StepOutcome> =>
  inTransaction(s, async () => {
    await lockOutput(s, step);
    const before = await committedBefore(s, step);
    if (before) return before;
    await enterStep(s, step);
    const rows = await write(s, step);
    const cursor = await greatestCursor(s, step);
    await s.query(`INSERT INTO ${LEDGER} (run_id, step, rows, cursor, committed_at) VALUES ($1, $2, $3, $4, now())`, [step.runId, step.step, rows, cursor]);
    return { rows, cursor, replayed: false };
  });

const planRows = (plan: unknown): number | null => {
  const rows = (plan as { Plan?: { 'Plan Rows'?: unknown } }[] | undefined)?.[0]?.Plan?.['Plan Rows'];
  return typeof rows === 'number' ? rows : null;
};

/** Plans one step, then stands its output in by an empty table of its shape (an existing append or merge destination stays as it is). */
async function planStep(s: Session, step: StepStatement): Promise<StepPlan> {
  await enterStep(s, step);
  const explained = await s.query(`EXPLAIN (FORMAT JSON) ${userQuery(step.sql)}`, step.params);
  const plan = explained.rows[0]?.['QUERY PLAN'] ?? null;
  if (isWriting(step) && (step.mode === 'replace' || !(await tableExists(s, step.output)))) {
    await s.query(`DROP TABLE IF EXISTS ${tableRef(step.output)}`);
    await createShape(s, step, false);
  }
  return { plan, estimatedRows: planRows(plan) };
}

/** Plans every step in one transaction that is always rolled back. */
export const planSteps = (s: Session, steps: StepStatement[]): Promise<StepPlan[]> =>
  inTransaction(
    s,
    async () => {
      const plans: StepPlan[] = [];
      for (const step of steps) plans.push(await planStep(s, step));
      return plans;
    },
    false,
  );

/** One query in a read-only transaction (previews, tests). */
export const readOnly = (s: Session, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> =>
  inTransaction(
    s,
    async () => {
      await s.query('SET TRANSACTION READ ONLY');
      return (await s.query(sql, params)).rows;
    },
    false,
  );
