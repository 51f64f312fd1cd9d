import { createServices, createWorker, definitionSupport, ProviderRegistry, sha256, silentLogger, systemClock, WarehouseError } from '@signalbox/core';
import { FakeWarehouses, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { definitionTools } from '@signalbox/definition-tools';
import { MockProviderFactory } from '@signalbox/provider-mock';
import { CronerSchedules } from '@signalbox/schedule-croner';
import { seed3ApiSuite } from './testing';

/** The core on in-memory repositories, the embedded engine on the fake warehouse, the mock provider, and a worker. */
seed3ApiSuite('in-memory repositories, fake warehouse', async () => {
  const ids = new SequentialIds(13);
  const clock = systemClock;
  const { repos, uow } = inMemoryPersistence(ids);
  const cron = new CronerSchedules();
  const warehouse = new FakeWarehouses();
  const services = createServices({
    repos,
    uow,
    registry: new ProviderRegistry().register('mock', new MockProviderFactory(clock)),
    clock,
    ids,
    cron,
    definitions: definitionSupport({ ...definitionTools(), cron }, sha256),
    warehouses: warehouse,
  });
  const worker = createWorker({
    jobs: repos.jobs,
    connectors: repos.connectors,
    syncs: services.syncs,
    clock,
    ids,
    logger: silentLogger,
    options: { pollMs: 20 },
    engine: services.engine,
    runs: services.runs,
  });
  worker.start();
  return {
    services,
    failStep: (name) => warehouse.step(name, { fail: new WarehouseError('STEP_FAILED', 'division by zero', '22012') }),
    close: () => worker.stop(),
  };
});
