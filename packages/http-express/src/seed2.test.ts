import { ProviderRegistry } from '@signalbox/core';
import { seed2ApiSuite } from './testing';
import { inMemoryEngine } from './testing/in-memory-engine';

/** The core on in-memory repositories with the embedded engine on the fake warehouse, and a worker running its runs. */
seed2ApiSuite('in-memory repositories, fake warehouse', async () => inMemoryEngine(new ProviderRegistry(), { idSeed: 13 }));
