export { AirflowProvider, airflowProviderFactory } from './airflow-provider';
export type { AirflowProviderOptions } from './airflow-provider';
export { checkAirflowConfig, readAirflowConfig } from './config';
export type { AirflowConfig, ApiVersion } from './config';
export { RUN_STATUS, RUN_TYPE, TASK_STATUS, runStatusOf, runTypeOf, taskStatusOf } from './mapping';
