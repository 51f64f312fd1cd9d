import { apiSuite, managedApiSuite, seed2ApiSuite, seed3ApiSuite } from '@signalbox/http-express/testing';
import { containerHarness, countingHarness, freshDatabase } from './test-support';

// The HTTP API suite on the container's real wiring over PostgreSQL, in a database of its own.
apiSuite('container wiring on PostgreSQL', async () => {
  const database = await freshDatabase('api');
  const harness = await containerHarness({ databaseUrl: database.url, databasePoolSize: 5 });
  return {
    ...harness,
    close: async () => {
      await harness.close?.();
      await database.drop();
    },
  };
});

managedApiSuite('container wiring on PostgreSQL', async () => {
  const database = await freshDatabase('managed');
  const harness = await countingHarness({ databaseUrl: database.url, databasePoolSize: 5 });
  return {
    ...harness,
    close: async () => {
      await harness.close?.();
      await database.drop();
    },
  };
});

seed2ApiSuite('container wiring on PostgreSQL', async () => {
  const database = await freshDatabase('seed2');
  const harness = await containerHarness({ databaseUrl: database.url, databasePoolSize: 5 });
  return {
    ...harness,
    close: async () => {
      await harness.close?.();
      await database.drop();
    },
  };
});

seed3ApiSuite('container wiring on PostgreSQL', async () => {
  const database = await freshDatabase('seed3');
  const harness = await containerHarness({ databaseUrl: database.url, databasePoolSize: 5 });
  return {
    ...harness,
    close: async () => {
      await harness.close?.();
      await database.drop();
    },
  };
});
