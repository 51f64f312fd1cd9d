import { createServices, ProviderRegistry } from '@signalbox/core';
import { FakeClock, inMemoryPersistence, SequentialIds } from '@signalbox/core/testing';
import { ADMIN_KEY_VARIABLE, bootstrapAdmin } from './admin-key';

describe('bootstrapAdmin', () => {
  const services = () => {
    const ids = new SequentialIds();
    return createServices({ ...inMemoryPersistence(ids), registry: new ProviderRegistry(), clock: new FakeClock(), ids });
  };

  it('registers the key under the name of its source', async () => {
    const s = services();
    const actor = await bootstrapAdmin(s, `sbx_${'a'.repeat(30)}`, ADMIN_KEY_VARIABLE);
    expect(actor.instanceAdmin).toBe(true);
    expect((await s.access.listOwnKeys(actor)).map((k) => k.name)).toEqual(['bootstrap (SIGNALBOX_ADMIN_API_KEY)']);
  });

  it("names the environment variable, not the core's adminApiKey, when the key is refused", async () => {
    const err = await bootstrapAdmin(services(), 'sbx_short', ADMIN_KEY_VARIABLE).catch((e: unknown) => e);
    expect(err).toMatchObject({
      kind: 'invalid',
      details: [{ field: 'SIGNALBOX_ADMIN_API_KEY' }],
      message: expect.stringMatching(/^SIGNALBOX_ADMIN_API_KEY: must start with/),
    });
  });
});
