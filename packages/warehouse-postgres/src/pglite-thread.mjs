/*
 * The embedded warehouse's thread: PGlite on one data folder, answering one statement at a time.
 * Plain JavaScript because neither tsx nor Jest transforms a worker thread's entry file. Every
 * decision (transactions, serialization, cancelling, errors) is made by the main side; this file
 * only opens the database, runs what it is sent and reports what the database said.
 *
 * In:  workerData {dataDir}; messages {id, sql, params} or {id, close: true}.
 * Out: {ready: true} or {ready: false, error} once; then {id, rows, fields, affectedRows},
 *      {id, error: {message, code}} or {id, closed: true}.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { PGlite } from '@electric-sql/pglite';

const failure = (err) => ({
  message: err instanceof Error ? err.message : String(err),
  code: typeof err?.code === 'string' ? err.code : null,
});

const open = async () => {
  const db = new PGlite(workerData.dataDir);
  await db.waitReady;
  return db;
};

const opening = open();

opening.then(
  () => parentPort.postMessage({ ready: true }),
  (err) => parentPort.postMessage({ ready: false, error: failure(err) }),
);

parentPort.on('message', async ({ id, sql, params, close }) => {
  try {
    const db = await opening;
    if (close) {
      await db.close();
      parentPort.postMessage({ id, closed: true });
      return;
    }
    // The command tag's count, as pg reports it: rows written by CREATE TABLE AS too (PGlite's own
    // affectedRows leaves those out).
    const { rows, fields, affectedRows, rowCount } = await db.query(sql, params);
    parentPort.postMessage({ id, rows, fields, affectedRows: rowCount ?? affectedRows ?? 0 });
  } catch (err) {
    parentPort.postMessage({ id, error: failure(err) });
  }
});
