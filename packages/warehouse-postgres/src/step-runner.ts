import { writeFileSync } from 'node:fs';
import { decodeStep, isWarehouseError, OUTCOME_FILE_ENV, STEP_ENV, type StepOutcome, WAREHOUSE_URL_ENV } from '@signalbox/core';
import { postgresWarehouses } from './postgres-warehouses';

/**
 * The program a cluster engine's pod runs for one step: the statement from `SIGNALBOX_STEP`, on
 * the PostgreSQL at `SIGNALBOX_WAREHOUSE_URL`, through the same step SQL as the embedded engine
 * (the same replace, append and merge, the same ledger: a step run twice writes once). Its outcome
 * goes to `SIGNALBOX_OUTCOME_FILE` when set (the workflow's output parameter) and to stdout.
 */
export async function runStep(env: NodeJS.ProcessEnv, signal: AbortSignal = new AbortController().signal): Promise<StepOutcome> {
  const encoded = env[STEP_ENV];
  if (!encoded) throw new Error(`${STEP_ENV} is not set: it carries the step to run`);
  const url = env[WAREHOUSE_URL_ENV];
  if (!url) throw new Error(`${WAREHOUSE_URL_ENV} is not set: the warehouse's PostgreSQL URL`);
  const statement = decodeStep(encoded);
  const warehouses = postgresWarehouses({ dataDir: null, poolSize: 1 });
  try {
    const outcome = await warehouses.of({ kind: 'connector', spaceId: 'cluster', connectorId: 'cluster', url, password: null }).execute(statement, signal);
    const file = env[OUTCOME_FILE_ENV];
    const answer = JSON.stringify({ rows: outcome.rows, cursor: outcome.cursor });
    if (file) writeFileSync(file, answer);
    return outcome;
  } finally {
    await warehouses.close();
  }
}

/** The command's main: exit 0 with the outcome, 1 with the warehouse's message. */
export async function stepMain(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const controller = new AbortController();
  const stop = () => controller.abort(new Error('the step was stopped'));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const outcome = await runStep(env, controller.signal);
    process.stdout.write(`${JSON.stringify({ rows: outcome.rows, cursor: outcome.cursor, replayed: outcome.replayed })}\n`);
    return 0;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    const code = isWarehouseError(err) ? ` [${err.code}${err.sqlState ? ` ${err.sqlState}` : ''}]` : '';
    process.stderr.write(`signalbox step failed${code}: ${message}\n`);
    return 1;
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
