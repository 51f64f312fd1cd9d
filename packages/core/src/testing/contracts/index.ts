import { accessContracts } from './access-contracts';
import { jobQueueContracts, syncScheduleContracts } from './background-contracts';
import type { MakeRepositories } from './fixtures';
import { managedContracts } from './managed-contracts';
import { managedRunContracts } from './managed-run-contracts';
import { pipelineContracts } from './pipeline-contracts';
import { runContracts } from './run-contracts';
import { syncContracts } from './sync-contracts';
import { unitOfWorkContracts } from './unit-of-work-contracts';

export * from './fixtures';
export { aManaged, aSpec, storeManaged } from './managed-contracts';
export {
  accessContracts,
  jobQueueContracts,
  managedContracts,
  managedRunContracts,
  pipelineContracts,
  runContracts,
  syncContracts,
  syncScheduleContracts,
  unitOfWorkContracts,
};

/**
 * Every repository contract of the core, as Jest `describe`/`it` blocks. `make` is called before
 * each test and must give empty repositories (a fresh store, or an emptied database); `close`,
 * when given, runs after each test.
 */
export function repositoryContracts(name: string, make: MakeRepositories): void {
  accessContracts(name, make);
  pipelineContracts(name, make);
  managedContracts(name, make);
  managedRunContracts(name, make);
  runContracts(name, make);
  syncContracts(name, make);
  unitOfWorkContracts(name, make);
  jobQueueContracts(name, make);
  syncScheduleContracts(name, make);
}
