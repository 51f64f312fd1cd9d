export interface ReadAheadOptions {
  /** How many items may be fetched before the caller asks for them: a positive integer (default 1). */
  ahead?: number;
}

/**
 * The items of `source` in order, the next ones already being fetched while the caller works on
 * the current one: a sync hands a page to its writers while the orchestrator sends the next. At
 * most `ahead` items are fetched before the caller asks for them. A failure of the source reaches
 * the caller when it asks for the item that failed, never earlier; a caller that stops early
 * closes the source once its pending fetches have settled.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, options: ReadAheadOptions = {}): AsyncGenerator<T, void, undefined> {
  const { ahead = 1 } = options;
  if (!Number.isInteger(ahead) || ahead < 1) throw new RangeError('ahead must be a positive integer');
  const it = source[Symbol.asyncIterator]();
  const pending: Promise<IteratorResult<T>>[] = [];
  let done = false;
  const fetch = () => {
    const next = it.next();
    // Seen when the caller asks for it; until then a failure must not count as unhandled.
    next.catch(() => undefined);
    pending.push(next);
  };
  try {
    fetch();
    while (pending.length > 0) {
      const first = await (pending.shift() as Promise<IteratorResult<T>>);
      if (first.done) {
        done = true;
        return;
      }
      while (pending.length < ahead) fetch();
      yield first.value;
    }
  } catch (err) {
    done = true;
    throw err;
  } finally {
    if (!done) {
      // The caller stopped early: the source is closed after the fetches in flight, without making the caller wait for them.
      void Promise.allSettled(pending)
        .then(() => it.return?.())
        .catch(() => undefined);
    }
  }
}
