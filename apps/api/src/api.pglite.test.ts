import { apiSuite } from '@signalbox/http-express/testing';
import { containerHarness } from './test-support';

// The HTTP API suite on the container's real wiring over embedded PGlite (in memory).
apiSuite('container wiring on PGlite', () => containerHarness({ inMemoryDatabase: true }));
