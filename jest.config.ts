/** @jest-config-loader esbuild-register */
import { join } from 'node:path';
import type { Config } from 'jest';

// ESM-only dependencies that Jest (CommonJS) must have transformed to load. `.cjs` files are
// transformed too: PGlite's CommonJS build calls import(), which swc turns into require().
const esmOnly = ['inversify', '@inversifyjs', 'kysely', '@electric-sql/pglite'];

const packages = [
  'packages/core',
  'packages/provider-mock',
  'packages/schedule-croner',
  'packages/definition-tools',
  'packages/persistence-kysely',
  'packages/warehouse-postgres',
  'packages/airflow-stub',
  'packages/provider-airflow',
  'packages/http-express',
  'apps/api',
];

const project = (dir: string): Config => ({
  displayName: dir.split('/')[1],
  rootDir: join(__dirname, dir),
  testMatch: ['<rootDir>/src/**/*.test.ts'],
  testEnvironment: 'node',
  transform: {
    '^.+\\.(t|j|mj|cj)s$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: [`/node_modules/(?!(${esmOnly.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
});

const config: Config = {
  // A global option: Jest reads it here, not from the projects.
  testTimeout: 60_000,
  projects: packages.map(project),
};

export default config;
