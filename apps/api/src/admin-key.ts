import { type Actor, renameField, type Services } from '@signalbox/core';

/**
 * Registers an admin key the operator gave (or the demo generated) with the core. The core calls
 * the key `adminApiKey`; its errors here name where the key came from instead (the environment
 * variable or the demo's key file), and so does the stored key's name.
 */
export async function bootstrapAdmin(services: Services, rawKey: string, source: string): Promise<Actor> {
  try {
    return await services.access.bootstrapAdminKey(rawKey, `bootstrap (${source})`);
  } catch (err) {
    throw renameField(err, 'adminApiKey', source);
  }
}

/** Where the operator's key comes from. */
export const ADMIN_KEY_VARIABLE = 'SIGNALBOX_ADMIN_API_KEY';
