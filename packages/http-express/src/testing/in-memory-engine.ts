import {
  createServices,
  createWorker,
  definitionSupport,
  type EngineOptions,
  type ProviderRegistry,
  type Services,
  sha256,
  silentLogger,
  systemClock,
} from '@signalbox/core';
import { FakeWarehouses, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { definitionTools } from '@signalbox/definition-tools';
import { CronerSchedules } from '@signalbox/schedule-croner';

/**
 * For this package's tests: the core on in-memory repositories, the real definition tools, the
 * embedded engine on a fake warehouse, and a worker polling every 20 ms for its runs and syncs.
 */
export function inMemoryEngine(
  registry: ProviderRegistry,
  opts: { idSeed: number; engine?: Partial<EngineOptions> },
): {
  services: Services;
  warehouse: FakeWarehouses;
  close: () => Promise<void>;
} {
  const ids = new SequentialIds(opts.idSeed);
  const { repos, uow } = inMemoryPersistence(ids);
  const cron = new CronerSchedules();
  const warehouse = new FakeWarehouses();
  const services = createServices({
    repos,
    uow,
    registry,
    clock: systemClock,
    ids,
    cron,
    definitions: definitionSupport({ ...definitionTools(), cron }, sha256),
    warehouses: warehouse,
    ...(opts.engine ? { engine: opts.engine } : {}),
  });
  const worker = createWorker({
    jobs: repos.jobs,
    connectors: repos.connectors,
    syncs: services.syncs,
    clock: systemClock,
    ids,
    logger: silentLogger,
    options: { pollMs: 20 },
    ...(services.engine ? { engine: services.engine } : {}),
    runs: services.runs,
  });
  worker.start();
  return { services, warehouse, close: () => worker.stop() };
}
