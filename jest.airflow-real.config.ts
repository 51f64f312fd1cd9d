/** @jest-config-loader esbuild-register */
import base from './jest.config';

// The real-peer tests (scripts/airflow/run.sh starts the servers): apps/api's project with only
// the *.real.ts files, which the default configuration never matches.
const api = (base.projects as Record<string, unknown>[]).find((p) => p.displayName === 'api');

export default { ...base, projects: [{ ...api, displayName: 'airflow-real', testMatch: ['<rootDir>/src/**/*.real.ts'] }] };
