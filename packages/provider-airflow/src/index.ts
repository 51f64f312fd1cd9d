export type { AirflowProviderOptions } from './airflow-provider';
export { AirflowProvider, airflowProviderFactory } from './airflow-provider';
export type { AirflowConfig, ApiVersion } from './config';
export { checkAirflowConfig, readAirflowConfig } from './config';
export { RUN_STATUS, RUN_TYPE, runStatusOf, runTypeOf, TASK_STATUS, taskStatusOf } from './mapping';
