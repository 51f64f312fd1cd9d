import { startAirflowStub } from '@signalbox/airflow-stub';
import { providerContract } from '@signalbox/core/testing';
import { airflowProviderFactory } from './airflow-provider';
import { airflowConnector } from './testing';

// The core's provider contract, over real HTTP against a stub of each Airflow API version.
for (const version of ['v1', 'v2'] as const) {
  providerContract(`Airflow ${version} (stub)`, async () => {
    const stub = await startAirflowStub({ apiVersion: version, seed: 5, dags: 6, runs: 60, taskInstances: 180, maximumPageLimit: 25 });
    const factory = airflowProviderFactory({ retries: 0, lookbackMs: 100 * 365 * 24 * 3600_000 });
    const config = factory.checkConfig({ base_url: stub.url, username: 'admin', password: 'admin' });
    return { provider: factory.create(airflowConnector(config)), close: () => stub.close() };
  });
}
