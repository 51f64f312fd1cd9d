import { apiSuite, managedApiSuite, seed2ApiSuite, seed3ApiSuite } from '@signalbox/http-express/testing';
import { containerHarness, countingHarness, onFreshDatabase } from './test-support';

// The HTTP API suites on the container's real wiring over PostgreSQL, each in a database of its own.
const wiring = (databaseUrl: string) => containerHarness({ databaseUrl, databasePoolSize: 5 });

apiSuite('container wiring on PostgreSQL', onFreshDatabase('api', wiring));

// Managed pipelines, counting every table's rows around a delete.
managedApiSuite(
  'container wiring on PostgreSQL',
  onFreshDatabase('managed', (databaseUrl) => countingHarness({ databaseUrl, databasePoolSize: 5 })),
);

seed2ApiSuite('container wiring on PostgreSQL', onFreshDatabase('seed2', wiring));

seed3ApiSuite('container wiring on PostgreSQL', onFreshDatabase('seed3', wiring));
