import type { Clock, IdGenerator } from '../ports/system';

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
