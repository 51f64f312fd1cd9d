import { KEY_BELIEVED_MS } from './access-service';
import { world } from './test-world';

describe('AccessService', () => {
  it('issues a random key shown once, stores only its hash, and authenticates with it', async () => {
    const w = await world();
    const issued = await w.services.access.issueOwnKey(w.viewer, { name: 'laptop' });
    expect(issued.key).toMatch(/^sbx_/);
    expect(issued.apiKey.prefix).toBe(issued.key.slice(0, 12));
    const [stored] = await w.repos.apiKeys.listForUser(w.viewer.userId);
    expect(JSON.stringify(stored)).not.toContain(issued.key);
    expect(stored.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(await w.services.access.authenticate(issued.key)).toEqual(w.viewer);
    expect(await w.services.access.authenticate(`${issued.key}x`)).toBeUndefined();
    expect(await w.services.access.authenticate('Bearer nonsense')).toBeUndefined();
  });

  it('refuses revoked and expired keys', async () => {
    const w = await world();
    const revoked = await w.services.access.issueOwnKey(w.viewer, { name: 'a' });
    await w.services.access.revokeOwnKey(w.viewer, revoked.apiKey.id);
    await w.services.access.revokeOwnKey(w.viewer, revoked.apiKey.id); // idempotent
    expect(await w.services.access.authenticate(revoked.key)).toBeUndefined();
    const expiring = await w.services.access.issueOwnKey(w.viewer, { name: 'b', expiresAt: new Date(w.clock.now().getTime() + 60_000) });
    expect(await w.services.access.authenticate(expiring.key)).toEqual(w.viewer);
    w.clock.advance(60_000);
    expect(await w.services.access.authenticate(expiring.key)).toBeUndefined();
    await expect(w.services.access.issueOwnKey(w.viewer, { name: 'c', expiresAt: w.clock.now() })).rejects.toMatchObject({
      details: [{ field: 'expires_at' }],
    });
  });

  it('believes an authenticated key for a few seconds: a revocation here is seen at once, one elsewhere within that time', async () => {
    const w = await world();
    const here = await w.services.access.issueOwnKey(w.viewer, { name: 'here' });
    const elsewhere = await w.services.access.issueOwnKey(w.viewer, { name: 'elsewhere' });
    const expiring = await w.services.access.issueOwnKey(w.viewer, { name: 'expiring', expiresAt: new Date(w.clock.now().getTime() + 1_000) });
    for (const k of [here, elsewhere, expiring]) expect(await w.services.access.authenticate(k.key)).toEqual(w.viewer);
    await w.services.access.revokeOwnKey(w.viewer, here.apiKey.id);
    // Revoked by another process: straight in the store, which this service is not asked again yet.
    await w.repos.apiKeys.revoke(w.viewer.userId, elsewhere.apiKey.id, w.clock.now());
    expect(await w.services.access.authenticate(here.key)).toBeUndefined();
    expect(await w.services.access.authenticate(elsewhere.key)).toEqual(w.viewer);
    w.clock.advance(1_000);
    expect(await w.services.access.authenticate(expiring.key)).toBeUndefined();
    expect(await w.services.access.authenticate(elsewhere.key)).toEqual(w.viewer);
    w.clock.advance(KEY_BELIEVED_MS - 1_000);
    expect(await w.services.access.authenticate(elsewhere.key)).toBeUndefined();
  });

  it('does not believe a key whose read raced its revocation here', async () => {
    const w = await world();
    const k = await w.services.access.issueOwnKey(w.viewer, { name: 'k' });
    const keys = w.repos.apiKeys;
    const read = keys.getWithUserByHash.bind(keys);
    let release = () => {};
    let readDone = () => {};
    const gate = new Promise<void>((done) => {
      release = done;
    });
    const hasRead = new Promise<void>((done) => {
      readDone = done;
    });
    keys.getWithUserByHash = async (hash) => {
      const found = structuredClone(await read(hash)); // as read then, whatever happens to it after
      readDone();
      await gate;
      return found;
    };
    const racing = w.services.access.authenticate(k.key);
    await hasRead;
    await w.services.access.revokeOwnKey(w.viewer, k.apiKey.id);
    release();
    // Read before the revocation, as a request already under way would be: let through once, not kept.
    expect(await racing).toEqual(w.viewer);
    keys.getWithUserByHash = read;
    expect(await w.services.access.authenticate(k.key)).toBeUndefined();
  });

  it("never revokes another user's key", async () => {
    const w = await world();
    const k = await w.services.access.issueOwnKey(w.viewer, { name: 'a' });
    await expect(w.services.access.revokeOwnKey(w.editor, k.apiKey.id)).rejects.toMatchObject({ kind: 'not_found' });
    expect(await w.services.access.authenticate(k.key)).toEqual(w.viewer);
  });

  it('creates users with checked emails, once per email', async () => {
    const w = await world();
    const u = await w.services.access.createUser(w.root, { email: ' Ada@Example.com ', name: 'Ada' });
    expect(u).toMatchObject({ email: 'ada@example.com', instanceAdmin: false });
    await expect(w.services.access.createUser(w.root, { email: 'ada@example.com', name: 'Ada 2' })).rejects.toMatchObject({
      kind: 'conflict',
      code: 'USER_EXISTS',
    });
    await expect(w.services.access.createUser(w.root, { email: 'not-an-email', name: 'x' })).rejects.toMatchObject({ details: [{ field: 'email' }] });
    await expect(w.services.access.issueKeyFor(w.root, 'nobody', { name: 'x' })).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
  });

  it('bootstraps an instance admin from a configured key, idempotently', async () => {
    const w = await world();
    const raw = 'sbx_bootstrap-key-with-enough-entropy-123';
    const actor = await w.services.access.bootstrapAdminKey(raw);
    expect(actor.instanceAdmin).toBe(true);
    expect(await w.services.access.bootstrapAdminKey(raw)).toEqual(actor);
    expect(await w.services.access.authenticate(raw)).toEqual(actor);
    expect(await w.repos.apiKeys.listForUser(actor.userId)).toHaveLength(1);
    await expect(w.services.access.bootstrapAdminKey('short')).rejects.toMatchObject({ details: [{ field: 'adminApiKey' }] });
  });
});
