/** @jest-config-loader esbuild-register */
import { join } from 'node:path';
import type { Config } from 'jest';

// ESM-only dependencies that Jest (CommonJS) must have transformed to load. `.cjs` files are
// transformed too: PGlite's CommonJS build calls import(), which swc turns into require().
const esmOnly = ['inversify', '@inversifyjs', 'kysely', '@electric-sql/pglite', '@scalar'];

const packages = [
  'packages/core',
  'packages/provider-mock',
  'packages/schedule-croner',
  'packages/definition-tools',
  'packages/persistence-kysely',
  'packages/warehouse-postgres',
  'packages/airflow-stub',
  'packages/argo-stub',
  'packages/provider-airflow',
  'packages/provider-argo',
  'packages/http-express',
  'packages/client',
  'apps/api',
  'apps/console',
];

/** One package's tests: `*.test.ts` under its `src`, unless other files are named. */
export const project = (dir: string, testMatch = ['<rootDir>/src/**/*.test.ts']): Config => ({
  displayName: dir.split('/')[1],
  rootDir: join(__dirname, dir),
  testMatch,
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj|cj)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
});

// Test databases are thrown away, so their commits need not wait for the disk: on a machine with a
// slow disk that wait is most of a PostgreSQL suite's time. What the tests check does not change
// (the crash tests kill Signalbox's processes, never the database server). The test processes and
// every server they start inherit it; a PGOPTIONS already set is kept.
process.env.PGOPTIONS ??= '-c synchronous_commit=off';

const config: Config = {
  // A global option: Jest reads it here, not from the projects.
  testTimeout: 60_000,
  // A suite that fails half way can leave a child process or a socket behind; the run must still
  // end (and print its report) rather than wait on it until CI's own limit.
  forceExit: true,
  // Two suites at a time on two cores: most suites wait on PostgreSQL, a child process or a timer
  // much of their time, so two overlap well (the whole run took 340 s here against 632 s with Jest's
  // default of one worker on two cores).
  maxWorkers: 2,
  projects: packages.map((dir) => project(dir)),
};

export default config;
