/**
 * `npm run bench:sync [-- --provider airflow|argo ...]`: runs the sync benchmark of one provider
 * (default airflow) in this process; every other flag goes to that benchmark unchanged.
 */
import { join } from 'node:path';

const BENCHES: Record<string, string> = {
  airflow: join(__dirname, '..', 'packages', 'provider-airflow', 'bench', 'sync-bench.ts'),
  argo: join(__dirname, '..', 'packages', 'provider-argo', 'bench', 'sync-bench.ts'),
};

const i = process.argv.indexOf('--provider');
const provider = i >= 0 ? process.argv[i + 1] : 'airflow';
const bench = provider === undefined ? undefined : BENCHES[provider];
if (!bench) {
  console.error(`--provider must be one of ${Object.keys(BENCHES).join(', ')}`);
  process.exit(2);
}
if (i >= 0) process.argv.splice(i, 2);
void import(bench);
