import { createServices, createWorker, definitionSupport, ProviderRegistry, sha256, silentLogger, systemClock } from '@signalbox/core';
import { FakeWarehouses, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { definitionTools } from '@signalbox/definition-tools';
import { CronerSchedules } from '@signalbox/schedule-croner';
import { seed2ApiSuite } from './testing';

/** The core on in-memory repositories with the embedded engine on the fake warehouse, and a worker running its runs. */
seed2ApiSuite('in-memory repositories, fake warehouse', async () => {
  const ids = new SequentialIds(13);
  const { repos, uow } = inMemoryPersistence(ids);
  const cron = new CronerSchedules();
  const services = createServices({
    repos,
    uow,
    registry: new ProviderRegistry(),
    clock: systemClock,
    ids,
    cron,
    definitions: definitionSupport({ ...definitionTools(), cron }, sha256),
    warehouses: new FakeWarehouses(),
  });
  const worker = createWorker({
    jobs: repos.jobs,
    connectors: repos.connectors,
    syncs: services.syncs,
    clock: systemClock,
    ids,
    logger: silentLogger,
    options: { pollMs: 20 },
    engine: services.engine,
    runs: services.runs,
  });
  worker.start();
  return { services, close: () => worker.stop() };
});
