import type { Container } from 'inversify';
import { ConfigError } from './config';
import { T } from './tokens';

/**
 * Runs a process entry point (`npm start`, `npm run worker`): starts it, says plainly why it could
 * not start, and stops it gracefully on SIGTERM / SIGINT.
 */
export async function runProcess(what: string, start: () => Promise<{ container: Container; stop(): Promise<void> }>): Promise<void> {
  let running: Awaited<ReturnType<typeof start>>;
  try {
    running = await start();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\nSee .env.example for every variable and its default.\n`);
    } else {
      process.stderr.write(`${what} failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    }
    process.exit(1);
  }
  const onSignal = (signal: string) => {
    running.container.get(T.logger).info('signal received', { signal });
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}
