export { runCli } from './cli';
export { type Config, ConfigError, ENV_DEFAULTS, loadConfig } from './config';
export { buildContainer, type ContainerOptions } from './container';
export { DEMO_SLUG, demoAdmin, ensureDemo } from './demo';
export { coreLogger, createLogger, redact } from './logging';
export { type Running, type StartOptions, start } from './main';
export { T } from './tokens';
export { startWorker, type WorkerProcess } from './worker-main';
