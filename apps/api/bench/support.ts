/** What the benchmarks of apps/api/bench share: their settings from the environment and the server they make databases on. */
import pg from 'pg';

/** A numeric setting from the environment, else its default. */
export const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);

/** The PostgreSQL server the benchmarks create their databases on. */
export const BASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Runs one statement on the server's own database (CREATE / DROP DATABASE). */
export async function admin(text: string) {
  const client = new pg.Client({ connectionString: BASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}

/** The q-quantile (0..1) of the values, by rank: 0.5 is the median. */
export const quantile = (xs: readonly number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
