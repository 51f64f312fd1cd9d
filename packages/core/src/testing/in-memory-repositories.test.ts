import { repositoryContracts } from './contracts';
import { SequentialIds } from './fakes';
import { inMemoryRepositories } from './in-memory-repositories';

repositoryContracts('in-memory', async () => {
  const ids = new SequentialIds();
  return { repos: inMemoryRepositories(ids), ids };
});
