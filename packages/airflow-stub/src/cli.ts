/**
 * Serves a stub Airflow from the command line (used by the benchmark to keep the server out of the
 * measured process): `tsx src/cli.ts --api v2 --dags 2000 --runs 100000 --tasks 500000`.
 * Prints one JSON line `{"url": ...}` once listening; stops on SIGTERM or when stdin closes.
 */
import { type ApiVersion, startAirflowStub } from './server';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};

async function main() {
  const stub = await startAirflowStub({
    apiVersion: arg('api', 'v2') as ApiVersion,
    dags: Number(arg('dags', '20')),
    runs: Number(arg('runs', '200')),
    taskInstances: Number(arg('tasks', '1000')),
    seed: Number(arg('seed', '1')),
    maximumPageLimit: Number(arg('page-limit', '100')),
    port: Number(arg('port', '0')),
  });
  process.stdout.write(`${JSON.stringify({ url: stub.url, apiVersion: stub.apiVersion })}\n`);
  const stop = () => void stub.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

void main();
