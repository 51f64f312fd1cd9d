export interface WriteLanesOptions<T> {
  /** How many writes may run at once, one in each lane: a positive integer. */
  lanes: number;
  /** The most rows one write takes. */
  batchRows: number;
  /** Rows of one key go to one lane, so they are written in the order they were added. */
  keyOf: (row: T) => string;
  /** Writes the rows of one lane; a rejection stops every lane. */
  write: (rows: T[]) => Promise<void>;
}

/**
 * Rows written by up to `lanes` writes at once (ADR 0023). Each row goes to the lane its key hashes
 * to, and each lane writes its rows in the order they came, at most `batchRows` at a time, starting
 * as soon as it is free: a lane as fast as its rows arrive writes them as they come, a slower one in
 * full batches. `add` waits while a lane holds a full batch besides the one it writes, so what is
 * held stays bounded.
 *
 * A failed write stops the lanes: no write starts after it, and `add` and `drain` reject with its
 * error, but only once no write is running, so that a caller recording the failure knows nothing is
 * written after it. `close` stops the lanes the same way for a caller that failed for its own reason.
 */
export class WriteLanes<T> {
  private readonly waiting: T[][];
  private readonly running: (Promise<void> | undefined)[];
  private failure: { error: unknown } | undefined;
  private closed = false;

  constructor(private readonly options: WriteLanesOptions<T>) {
    const { lanes, batchRows } = options;
    if (!Number.isInteger(lanes) || lanes < 1) throw new RangeError('lanes must be a positive integer');
    if (!Number.isInteger(batchRows) || batchRows < 1) throw new RangeError('batchRows must be a positive integer');
    this.waiting = Array.from({ length: lanes }, () => []);
    this.running = new Array(lanes).fill(undefined);
  }

  /** Hands rows to their lanes; resolves once no lane holds a full batch besides the one it writes. */
  async add(rows: readonly T[]): Promise<void> {
    if (this.closed) throw new Error('these write lanes are closed');
    for (const row of rows) this.waiting[this.laneOf(row)].push(row);
    for (let lane = 0; lane < this.waiting.length; lane++) this.start(lane);
    while (!this.failure && this.waiting.some((rows, lane) => rows.length >= this.options.batchRows && this.running[lane])) await this.anyWriteEnds();
    await this.rejectOnFailure();
  }

  /** Resolves once every row added is written. */
  async drain(): Promise<void> {
    while (!this.failure && this.running.some(Boolean)) await this.anyWriteEnds();
    await this.rejectOnFailure();
  }

  /** Starts no more writes and resolves, never rejecting, once none is running; rows not written are dropped. */
  async close(): Promise<void> {
    this.closed = true;
    await this.settled();
  }

  private start(lane: number): void {
    if (this.closed || this.failure || this.running[lane] || this.waiting[lane].length === 0) return;
    const rows = this.waiting[lane].splice(0, this.options.batchRows);
    this.running[lane] = this.options.write(rows).then(
      () => {
        this.running[lane] = undefined;
        this.start(lane);
      },
      (error: unknown) => {
        this.running[lane] = undefined;
        this.failure ??= { error };
      },
    );
  }

  /** FNV-1a of the row's key, over its lanes; one lane needs no hash. */
  private laneOf(row: T): number {
    const lanes = this.waiting.length;
    if (lanes === 1) return 0;
    const key = this.options.keyOf(row);
    let hash = 0x811c9dc5;
    for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
    return (hash >>> 0) % lanes;
  }

  /** Resolves when one of the running writes ends (they never reject: `start` keeps their outcome). */
  private anyWriteEnds(): Promise<void> {
    return Promise.race(this.running.filter((w): w is Promise<void> => w !== undefined));
  }

  private async settled(): Promise<void> {
    while (this.running.some(Boolean)) await this.anyWriteEnds();
  }

  private async rejectOnFailure(): Promise<void> {
    if (!this.failure) return;
    await this.settled();
    throw this.failure.error;
  }
}
