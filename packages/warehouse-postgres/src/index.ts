export type { PostgresWarehouse } from './backend-warehouse';
export { type PostgresWarehouses, type PostgresWarehousesOptions, postgresWarehouses } from './postgres-warehouses';
