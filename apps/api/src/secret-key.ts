import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@signalbox/core';
import type { Config } from './config';

export const SECRET_KEY_FILE = 'secret.key';

/**
 * The key that encrypts connector secrets: SIGNALBOX_SECRET_KEY when set; for the embedded
 * database, otherwise, one generated on first start and kept in the data folder (mode 0600).
 * With DATABASE_URL the key is required by the configuration, since every process must share it.
 */
export async function resolveSecretKey(config: Config, logger: Logger): Promise<string> {
  if (config.secretKey) return config.secretKey;
  if (config.databaseUrl) throw new Error('SIGNALBOX_SECRET_KEY is required with DATABASE_URL');
  const file = join(config.dataDir, SECRET_KEY_FILE);
  try {
    const stored = (await readFile(file, 'utf8')).trim();
    if (stored.length >= 16) return stored;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = randomBytes(32).toString('base64url');
  await mkdir(config.dataDir, { recursive: true });
  await writeFile(file, `${key}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  });
  const stored = (await readFile(file, 'utf8')).trim(); // another process may have written it first
  logger.warn('SIGNALBOX_SECRET_KEY is not set: generated one and stored it in the data folder; set it explicitly for production', {
    file,
  });
  return stored;
}
