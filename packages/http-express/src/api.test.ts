import { createServices, createWorker, definitionSupport, ProviderRegistry, sha256, silentLogger } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { definitionTools } from '@signalbox/definition-tools';
import { MockProviderFactory } from '@signalbox/provider-mock';
import { CronerSchedules } from '@signalbox/schedule-croner';
import { apiSuite, managedApiSuite } from './testing';

apiSuite('in-memory repositories', async () => {
  const clock = new FakeClock(new Date());
  const ids = new SequentialIds();
  const mock = new MockProviderFactory(clock);
  const { repos, uow } = inMemoryPersistence(ids);
  const cron = new CronerSchedules();
  const definitions = definitionSupport({ ...definitionTools(), cron }, sha256);
  const services = createServices({ repos, uow, registry: new ProviderRegistry().register('mock', mock), clock, ids, cron, definitions });
  // Syncs run on a worker, as in the API process; it polls often so the suite does not wait on it.
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
  return { services, mock, advanceClock: (ms) => clock.advance(ms), close: () => worker.stop() };
});

managedApiSuite('in-memory repositories', async () => {
  const clock = new FakeClock(new Date());
  const ids = new SequentialIds(7);
  const mock = new MockProviderFactory(clock);
  const { repos, uow } = inMemoryPersistence(ids);
  const cron = new CronerSchedules();
  const definitions = definitionSupport({ ...definitionTools(), cron }, sha256);
  const services = createServices({ repos, uow, registry: new ProviderRegistry().register('mock', mock), clock, ids, cron, definitions });
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
  return { services, mock, advanceClock: (ms) => clock.advance(ms), close: () => worker.stop() };
});
