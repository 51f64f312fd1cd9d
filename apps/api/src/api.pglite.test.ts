import { apiSuite, managedApiSuite, seed2ApiSuite, seed3ApiSuite } from '@signalbox/http-express/testing';
import { containerHarness, countingHarness } from './test-support';

// The HTTP API suite on the container's real wiring over embedded PGlite (in memory).
apiSuite('container wiring on PGlite', () => containerHarness({ inMemoryDatabase: true }));

// Managed pipelines on the same wiring, counting every table's rows around a delete.
managedApiSuite('container wiring on PGlite', () => countingHarness({ inMemoryDatabase: true }));

// The seed-2 dialect on the same wiring, its runs on the space's embedded PGlite warehouse.
seed2ApiSuite('container wiring on PGlite', () => containerHarness({ inMemoryDatabase: true }));

// The seed-3 dialect and the Api-key header, its runs executed on the embedded PGlite warehouse.
seed3ApiSuite('container wiring on PGlite', () => containerHarness({ inMemoryDatabase: true }));
