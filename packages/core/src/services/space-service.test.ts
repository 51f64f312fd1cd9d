import { DEFAULT_PAGE } from './test-page';
import { world } from './test-world';

describe('SpaceService and MemberService', () => {
  it('creates spaces with checked slugs, once per slug', async () => {
    const w = await world();
    for (const slug of ['A', 'a', '-ab', 'ab_c', 'x'.repeat(64)]) {
      await expect(w.services.spaces.create(w.root, { slug, name: 'x' })).rejects.toMatchObject({ kind: 'invalid', details: [{ field: 'slug' }] });
    }
    await expect(w.services.spaces.create(w.root, { slug: 'acme', name: 'again' })).rejects.toMatchObject({ kind: 'conflict', code: 'SPACE_EXISTS' });
    await expect(w.services.spaces.create(w.root, { slug: 'ok-1', name: ' ' })).rejects.toMatchObject({ details: [{ field: 'name' }] });
  });

  it('chooses the space named, else the only one the actor sees, else SPACE_REQUIRED naming the field', async () => {
    const w = await world();
    expect((await w.services.spaces.chosen(w.editor, undefined, 'X-Space')).id).toBe(w.acme.id);
    expect((await w.services.spaces.chosen(w.outsider, undefined, 'X-Space')).id).toBe(w.other.id);
    // root created both spaces, so it is in two.
    await expect(w.services.spaces.chosen(w.root, undefined, 'X-Space')).rejects.toMatchObject({
      kind: 'invalid',
      code: 'SPACE_REQUIRED',
      details: [{ field: 'X-Space' }],
    });
    expect((await w.services.spaces.chosen(w.root, 'other', 'X-Space')).id).toBe(w.other.id);
    await expect(w.services.spaces.chosen(w.editor, 'other', 'X-Space')).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
    await w.services.members.remove(w.root, 'other', w.outsider.userId);
    await expect(w.services.spaces.chosen(w.outsider, undefined, 'X-Space')).rejects.toMatchObject({ code: 'SPACE_REQUIRED' });
  });

  it('creates a space and its first admin together: a failing membership write leaves no space', async () => {
    const w = await world();
    const error = w.uow.fail('memberships', 'put');
    await expect(w.services.spaces.create(w.root, { slug: 'doomed', name: 'Doomed' })).rejects.toBe(error);
    expect(await w.repos.spaces.getBySlug('doomed')).toBeUndefined();
    w.uow.heal();
    const space = await w.services.spaces.create(w.root, { slug: 'doomed', name: 'Doomed' });
    expect(await w.repos.memberships.get(space.id, w.root.userId)).toMatchObject({ role: 'admin' });
  });

  it('lets exactly one of two concurrent demotions of the last two admins pass', async () => {
    const w = await world();
    // acme's admins: root (its creator) and admin.
    for (const change of [
      (actor: typeof w.root, userId: string) => w.services.members.put(actor, 'acme', userId, 'viewer'),
      (actor: typeof w.root, userId: string) => w.services.members.remove(actor, 'acme', userId),
    ]) {
      const outcomes = await Promise.allSettled([change(w.root, w.admin.userId), change(w.admin, w.root.userId)]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      expect(outcomes.find((o) => o.status === 'rejected')).toMatchObject({ reason: { kind: 'conflict', code: 'LAST_ADMIN' } });
      expect(await w.repos.memberships.countAdmins(w.acme.id)).toBe(1);
      // Back to two admins for the next kind of change.
      const [remaining] = (await w.repos.memberships.list(w.acme.id, DEFAULT_PAGE)).items.filter((m) => m.role === 'admin');
      const other = remaining.userId === w.root.userId ? w.admin : w.root;
      await w.services.members.put(remaining.userId === w.root.userId ? w.root : w.admin, 'acme', other.userId, 'admin');
      expect(await w.repos.memberships.countAdmins(w.acme.id)).toBe(2);
    }
  });

  it('lists only the spaces a user is a member of; instance admins see all', async () => {
    const w = await world();
    expect((await w.services.spaces.list(w.viewer, DEFAULT_PAGE)).items.map((s) => s.slug)).toEqual(['acme']);
    expect((await w.services.spaces.list(w.outsider, DEFAULT_PAGE)).items.map((s) => s.slug)).toEqual(['other']);
    expect((await w.services.spaces.list(w.root, DEFAULT_PAGE)).items.map((s) => s.slug)).toEqual(['acme', 'other']);
    await expect(w.services.spaces.get(w.viewer, 'other')).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
    await expect(w.services.spaces.get(w.viewer, 'nope')).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
  });

  it('reads a space with the role its reader acts with: the membership, admin for an instance admin', async () => {
    const w = await world();
    expect(await w.services.spaces.getWithRole(w.viewer, 'acme')).toEqual({ space: w.acme, role: 'viewer' });
    expect(await w.services.spaces.getWithRole(w.editor, 'acme')).toEqual({ space: w.acme, role: 'editor' });
    expect((await w.services.spaces.getWithRole(w.admin, 'acme')).role).toBe('admin');
    // root, an instance admin, no longer a member of 'other': still acts as its admin.
    await w.services.members.remove(w.root, 'other', w.root.userId);
    expect(await w.repos.memberships.get(w.other.id, w.root.userId)).toBeUndefined();
    expect((await w.services.spaces.getWithRole(w.root, 'other')).role).toBe('admin');
    await expect(w.services.spaces.getWithRole(w.viewer, 'other')).rejects.toMatchObject({ kind: 'not_found', code: 'SPACE_NOT_FOUND' });
  });

  it('changes roles, refuses unknown roles and users, and keeps at least one admin', async () => {
    const w = await world();
    await expect(w.services.members.put(w.admin, 'acme', w.viewer.userId, 'owner')).rejects.toMatchObject({ details: [{ field: 'role' }] });
    await expect(w.services.members.put(w.admin, 'acme', 'ghost', 'viewer')).rejects.toMatchObject({ code: 'USER_NOT_FOUND' });
    expect(await w.services.members.put(w.admin, 'acme', w.viewer.userId, 'editor')).toMatchObject({ role: 'editor' });
    // acme has two admins: root (its creator) and admin.
    await w.services.members.remove(w.admin, 'acme', w.root.userId);
    await expect(w.services.members.put(w.admin, 'acme', w.admin.userId, 'viewer')).rejects.toMatchObject({ kind: 'conflict', code: 'LAST_ADMIN' });
    await expect(w.services.members.remove(w.admin, 'acme', w.admin.userId)).rejects.toMatchObject({ code: 'LAST_ADMIN' });
    await expect(w.services.members.remove(w.admin, 'acme', w.outsider.userId)).rejects.toMatchObject({ code: 'MEMBER_NOT_FOUND' });
    const members = await w.services.members.list(w.admin, 'acme', DEFAULT_PAGE);
    expect(members.items.map((m) => [m.user.email, m.role])).toEqual([
      ['admin@example.com', 'admin'],
      ['editor@example.com', 'editor'],
      ['viewer@example.com', 'editor'],
    ]);
  });
});

describe('TeamService', () => {
  it('keeps team names unique per space, case-insensitively', async () => {
    const w = await world();
    const t = await w.services.teams.create(w.admin, 'acme', { name: 'Data' });
    await expect(w.services.teams.create(w.admin, 'acme', { name: 'data' })).rejects.toMatchObject({ code: 'TEAM_EXISTS' });
    await expect(w.services.teams.create(w.outsider, 'other', { name: 'Data' })).resolves.toMatchObject({ name: 'Data' });
    expect(await w.services.teams.rename(w.admin, 'acme', t.id, { name: 'Platform' })).toMatchObject({ name: 'Platform' });
    await expect(w.services.teams.rename(w.outsider, 'other', t.id, { name: 'x' })).rejects.toMatchObject({ code: 'TEAM_NOT_FOUND' });
    await expect(w.services.teams.delete(w.outsider, 'other', t.id)).rejects.toMatchObject({ code: 'TEAM_NOT_FOUND' });
  });
});
