/** @jest-config-loader esbuild-register */
import type { Config } from 'jest';
import { project } from './jest.config';

// The console's end-to-end tests (`npm run test:e2e`): a real server and headless Chromium, one
// suite at a time. Not part of `npm test`: they need the browser that scripts/e2e/run.sh installs.
const config: Config = {
  testTimeout: 120_000,
  forceExit: true,
  maxWorkers: 1,
  projects: [project('apps/console', ['<rootDir>/e2e/**/*.e2e.ts'])],
};

export default config;
