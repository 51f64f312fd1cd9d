import { ProviderRegistry, systemClock, WarehouseError } from '@signalbox/core';
import { MockProviderFactory } from '@signalbox/provider-mock';
import { seed3ApiSuite } from './testing';
import { inMemoryEngine } from './testing/in-memory-engine';

/** The core on in-memory repositories, the embedded engine on the fake warehouse, the mock provider, and a worker. */
seed3ApiSuite('in-memory repositories, fake warehouse', async () => {
  const { services, warehouse, close } = inMemoryEngine(new ProviderRegistry().register('mock', new MockProviderFactory(systemClock)), { idSeed: 13 });
  return {
    services,
    failStep: (name) => warehouse.step(name, { fail: new WarehouseError('STEP_FAILED', 'division by zero', '22012') }),
    close,
  };
});
