/**
 * Serves a stub Argo Server from the command line (benchmarks keep the server out of the measured
 * process): `tsx src/cli.ts --workflows 100000 --templates 2000 --port 2746`.
 * Prints one JSON line `{"url", "namespace", "token"}` once listening; stops on SIGTERM or when stdin closes.
 */
import { startArgoStub } from './server';
import type { ArgoSpecVersion } from './swagger';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
};

async function main() {
  const stub = await startArgoStub({
    host: arg('host', '127.0.0.1'),
    port: Number(arg('port', '0')),
    namespace: arg('namespace', 'signalbox'),
    token: arg('token', 'argo-test-token'),
    argoVersion: arg('argo-version', '3.7.18') as ArgoSpecVersion,
    validateRequests: arg('validate', 'true') !== 'false',
    seed: Number(arg('seed', '1')),
    templates: Number(arg('templates', '20')),
    cronWorkflows: Number(arg('crons', '5')),
    workflows: Number(arg('workflows', '200')),
    nodesPerWorkflow: Number(arg('nodes', '4')),
    archivedShare: Number(arg('archived-share', '0.2')),
    maximumLimit: Number(arg('max-limit', '500')),
    stepMs: Number(arg('step-ms', '150')),
  });
  process.stdout.write(`${JSON.stringify({ url: stub.url, namespace: stub.namespace, token: stub.token })}\n`);
  const stop = () => void stub.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdin.on('end', stop);
  process.stdin.resume();
}

void main();
