export * from './compile';
export * from './embedded-engine';
export * from './managed-runs';
export * from './warehouse-connector';
