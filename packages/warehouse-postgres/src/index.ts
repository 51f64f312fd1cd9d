export type { PostgresWarehouse } from './backend-warehouse';
export { DATABASE_IDENTITY_SQL, type DatabaseIdentity } from './pg-backend';
export { type PostgresWarehouses, type PostgresWarehousesOptions, postgresWarehouses } from './postgres-warehouses';
