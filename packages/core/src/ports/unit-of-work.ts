import type { Repositories } from './repositories';

/**
 * Runs a use case's writes as one unit: `work` gets repositories bound to one transaction.
 *
 * - Atomic: when `work` resolves, every write made through the repositories it was given is
 *   committed together, and `run` resolves with its result; when it throws (or rejects), every one
 *   of them is rolled back and `run` rejects with that error.
 * - Only writes made through the given `repos` belong to the unit: repositories held elsewhere
 *   (a service's own fields) write outside it, and reads through them do not see its writes.
 * - Isolation is the database's READ COMMITTED: each statement sees what was committed before it
 *   began, so a check that must still hold at commit (the last admin of a space) takes a lock
 *   through its repository (e.g. `MembershipRepository.countAdmins(…, { lock: true })`). The
 *   in-memory implementation runs units one at a time.
 * - Not reentrant: `work` must not call `run` again (on one connection that waits for itself);
 *   a use case that composes others hands them the repositories it was given.
 * - Keep units short and free of calls to other systems (an orchestrator, the network): a unit
 *   holds a connection and its row locks until it ends.
 */
export interface UnitOfWork {
  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T>;
}
