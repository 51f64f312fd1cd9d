import type { Repositories } from '../ports/repositories';
import type { Clock, IdGenerator } from '../ports/system';
import type { UnitOfWork } from '../ports/unit-of-work';

/** A clock that stands still until told to move. */
export class FakeClock implements Clock {
  private t: number;
  constructor(start: Date | string = '2026-01-15T12:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
  set(at: Date | string): void {
    this.t = new Date(at).getTime();
  }
}

/** Ids `00000000-0000-4000-8000-000000000001`, `…002`, …: deterministic and valid UUIDs. */
export class SequentialIds implements IdGenerator {
  private n = 0;
  constructor(private readonly salt = 0) {}
  id(): string {
    this.n += 1;
    const hex = (this.salt * 1e9 + this.n).toString(16).padStart(12, '0');
    return `00000000-0000-4000-8000-${hex}`;
  }
  secret(bytes: number): string {
    this.n += 1;
    return `secret${this.n}`.padEnd(Math.ceil((bytes * 4) / 3), 'x');
  }
}

/**
 * A unit of work whose repositories fail where told, to show that a failure half way through a
 * use case rolls back what it wrote before. Only calls made inside a unit fail.
 */
export class FaultyUnitOfWork implements UnitOfWork {
  private readonly faults = new Map<string, Error>();

  constructor(private readonly inner: UnitOfWork) {}

  /** From now on, `repo.method` called inside a unit rejects with `error`. */
  fail<K extends keyof Repositories>(repo: K, method: keyof Repositories[K] & string, error = new Error(`${repo}.${method} failed`)): Error {
    this.faults.set(`${repo}.${method}`, error);
    return error;
  }

  heal(): void {
    this.faults.clear();
  }

  run<T>(work: (repos: Repositories) => Promise<T>): Promise<T> {
    return this.inner.run((repos) => work(this.wrap(repos)));
  }

  private wrap(repos: Repositories): Repositories {
    const wrapped = Object.entries(repos).map(([name, repo]) => [
      name,
      new Proxy(repo as object, {
        get: (target, key, receiver) => {
          const error = this.faults.get(`${name}.${String(key)}`);
          return error ? () => Promise.reject(error) : Reflect.get(target, key, receiver);
        },
      }),
    ]);
    return Object.fromEntries(wrapped) as Repositories;
  }
}
