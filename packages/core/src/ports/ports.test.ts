import { authorizerContract } from '../testing/contracts/authorizer-contract';
import { systemContract } from '../testing/contracts/system-contract';
import { SequentialIds } from '../testing/fakes';
import { inMemoryRepositories } from '../testing/in-memory-repositories';
import { RoleAuthorizer } from './authorizer';
import { randomIds, sha256 } from './system';

authorizerContract('RoleAuthorizer', async () => {
  const repos = inMemoryRepositories(new SequentialIds());
  return { authorizer: new RoleAuthorizer(repos.memberships), memberships: repos.memberships };
});

systemContract('Web Crypto defaults', randomIds, sha256);

describe('sha256', () => {
  it('is SHA-256', async () => {
    expect(await sha256.hash('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
