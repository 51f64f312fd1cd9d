export interface ReadAheadOptions<T> {
  /** How many items may be fetched before the caller asks for them: a positive integer (default 1). */
  ahead?: number;
  /**
   * Whether `next`, already fetched when the caller asks, is handed over in the same batch as
   * `batch`. By default none is: every batch holds one item.
   */
  joins?: (batch: readonly T[], next: T) => boolean;
}

interface Slot<T> {
  promise: Promise<IteratorResult<T>>;
  /** Set once the fetch has succeeded. */
  result?: IteratorResult<T>;
}

/**
 * The items of `source` in order, in batches, the next ones already being fetched while the caller
 * works on the current batch: a sync writes a batch of pages while the orchestrator sends the next.
 * At most `ahead` items are fetched before the caller asks for them. A batch is the first item
 * not yet handed over, then each item after it that has already arrived and that `joins` accepts:
 * a caller slower than its source gets larger batches, one as fast gets one item at a time, and
 * none waits for an item to fill a batch. A failure of the source reaches the caller when it asks
 * for the item that failed, never earlier; a caller that stops early closes the source once its
 * pending fetches have settled.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, options: ReadAheadOptions<T> = {}): AsyncGenerator<T[], void, undefined> {
  const { ahead = 1, joins = () => false } = options;
  if (!Number.isInteger(ahead) || ahead < 1) throw new RangeError('ahead must be a positive integer');
  const it = source[Symbol.asyncIterator]();
  const pending: Slot<T>[] = [];
  let done = false;
  const fetch = () => {
    const slot: Slot<T> = { promise: it.next() };
    // Seen when the caller asks for it; until then a failure must not count as unhandled.
    slot.promise.then(
      (result) => {
        slot.result = result;
      },
      () => undefined,
    );
    pending.push(slot);
  };
  try {
    fetch();
    while (pending.length > 0) {
      const first = await (pending.shift() as Slot<T>).promise;
      if (first.done) {
        done = true;
        return;
      }
      const batch = [first.value];
      for (let next = pending[0]?.result; next !== undefined && !next.done && joins(batch, next.value); next = pending[0]?.result) {
        pending.shift();
        batch.push(next.value);
      }
      while (pending.length < ahead) fetch();
      yield batch;
    }
  } catch (err) {
    done = true;
    throw err;
  } finally {
    if (!done) {
      // The caller stopped early: the source is closed after the fetches in flight, without making the caller wait for them.
      void Promise.allSettled(pending.map((slot) => slot.promise))
        .then(() => it.return?.())
        .catch(() => undefined);
    }
  }
}
