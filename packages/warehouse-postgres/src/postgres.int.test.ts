import type { PostgresWarehouse } from './backend-warehouse';
import { postgresWarehouses } from './postgres-warehouses';
import { freshDatabase } from './testing/test-database';
import { warehouseContract } from './testing/warehouse-contract';

const warehouses = postgresWarehouses({ dataDir: null });
let db: Awaited<ReturnType<typeof freshDatabase>>;
let warehouse: PostgresWarehouse;

beforeAll(async () => {
  db = await freshDatabase('contract');
  warehouse = warehouses.of({ kind: 'connector', spaceId: 'space', connectorId: 'wh', url: db.url, password: null });
});
afterAll(async () => {
  await warehouses.close();
  await db.drop();
});

warehouseContract('PostgreSQL', () => warehouse);
