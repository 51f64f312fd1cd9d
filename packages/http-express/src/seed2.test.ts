import { ProviderRegistry } from '@signalbox/core';
import { inMemoryEngine } from './testing/in-memory-engine';
import { seed2ApiSuite } from './testing';

/** The core on in-memory repositories with the embedded engine on the fake warehouse, and a worker running its runs. */
seed2ApiSuite('in-memory repositories, fake warehouse', async () => inMemoryEngine(new ProviderRegistry(), { idSeed: 13 }));
