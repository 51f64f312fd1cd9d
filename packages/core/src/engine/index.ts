export * from './cluster-runner';
export * from './compile';
export * from './embedded-engine';
export * from './managed-runs';
export * from './step-wire';
export * from './warehouse-connector';
