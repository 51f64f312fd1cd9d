/*
 * A child process for the crash test: opens the database it is told, then writes without end,
 * printing `ack <n>` after each write has been acknowledged. The test kills it with SIGKILL.
 *   tsx crash-writer.ts pglite <data dir>
 *   tsx crash-writer.ts postgres <database url> <schema>
 */
import { newConnector, randomIds } from '@signalbox/core';
import { openDatabase } from '../database';
import { kyselyRepositories } from '../index';
import { migrateToLatest } from '../migrate';

async function main() {
  const [flavour, target, schema] = process.argv.slice(2);
  const database = flavour === 'pglite' ? await openDatabase({ dataDir: target }) : await openDatabase({ databaseUrl: target, schema, poolSize: 2 });
  await migrateToLatest(database.db);
  const repos = kyselyRepositories(database.db, { secretKey: 'crash test secret key', ids: randomIds });
  const now = new Date();
  const space = { id: randomIds.id(), slug: 'crash', name: 'Crash', createdAt: now };
  await repos.spaces.create(space);
  const connector = newConnector({ id: randomIds.id(), spaceId: space.id, name: 'c', type: 'mock', config: { token: 'secret' } }, now);
  await repos.connectors.create(connector);
  for (let n = 0; ; n++) {
    await repos.users.create({ id: randomIds.id(), email: `w${n}@crash.test`, name: `writer ${n}`, instanceAdmin: false, createdAt: new Date() });
    await repos.pipelines.upsertFromProvider(
      connector,
      [{ externalId: `dag_${n}`, name: `dag ${n}`, description: null, owner: null, tags: [], schedule: null, paused: false, nextRunAt: null }],
      randomIds.id(),
      new Date(),
    );
    process.stdout.write(`ack ${n}\n`);
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
