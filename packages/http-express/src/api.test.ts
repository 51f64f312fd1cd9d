import { createServices, createWorker, definitionSupport, ProviderRegistry, sha256, silentLogger } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { definitionTools } from '@signalbox/definition-tools';
import { MockProviderFactory } from '@signalbox/provider-mock';
import { CronerSchedules } from '@signalbox/schedule-croner';
import { apiSuite, managedApiSuite } from './testing';

/** The whole core on in-memory repositories, with a worker running syncs as the API process does. */
async function inMemoryWorld(ids: SequentialIds) {
  const clock = new FakeClock(new Date());
  const mock = new MockProviderFactory(clock);
  const { repos, uow } = inMemoryPersistence(ids);
  const cron = new CronerSchedules();
  const definitions = definitionSupport({ ...definitionTools(), cron }, sha256);
  const services = createServices({ repos, uow, registry: new ProviderRegistry().register('mock', mock), clock, ids, cron, definitions });
  // It polls often so the suites do not wait on it.
  const worker = createWorker({
    jobs: repos.jobs,
    connectors: repos.connectors,
    syncs: services.syncs,
    clock,
    ids,
    logger: silentLogger,
    options: { pollMs: 20 },
  });
  worker.start();
  return { services, mock, advanceClock: (ms: number) => clock.advance(ms), close: () => worker.stop() };
}

apiSuite('in-memory repositories', () => inMemoryWorld(new SequentialIds()));

managedApiSuite('in-memory repositories', () => inMemoryWorld(new SequentialIds(7)));
