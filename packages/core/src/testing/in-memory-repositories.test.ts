import { repositoryContracts } from './contracts';
import { SequentialIds } from './fakes';
import { InMemoryUnitOfWork, inMemoryRepositories } from './in-memory-repositories';

repositoryContracts('in-memory', async () => {
  const ids = new SequentialIds();
  const repos = inMemoryRepositories(ids);
  return { repos, uow: new InMemoryUnitOfWork(repos), ids };
});
