import { postgresWarehouses } from './postgres-warehouses';
import { warehouseContract } from './testing/warehouse-contract';

const warehouses = postgresWarehouses({ dataDir: null });
afterAll(() => warehouses.close());

warehouseContract('PGlite', () => warehouses.of({ kind: 'embedded', spaceId: 'contract' }));
