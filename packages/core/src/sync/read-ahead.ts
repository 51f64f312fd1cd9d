/**
 * The items of `source` in order, the next one already being fetched while the caller works on the
 * current one: a sync writes a page while the orchestrator sends the next. At most `ahead` items
 * are fetched before the caller asks for them, so at most `ahead + 1` pages are held at once. A
 * failure of the source reaches the caller when it asks for the item that failed, never earlier;
 * a caller that stops early closes the source once its pending fetch has settled.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, ahead = 1): AsyncGenerator<T, void, undefined> {
  if (!Number.isInteger(ahead) || ahead < 1) throw new RangeError('ahead must be a positive integer');
  const it = source[Symbol.asyncIterator]();
  const pending: Promise<IteratorResult<T>>[] = [];
  let done = false;
  const fetch = () => {
    const next = it.next();
    // Seen when the caller asks for it; until then it must not count as unhandled.
    next.catch(() => undefined);
    pending.push(next);
  };
  try {
    fetch();
    while (pending.length > 0) {
      const next = await (pending.shift() as Promise<IteratorResult<T>>);
      if (next.done) {
        done = true;
        return;
      }
      while (pending.length < ahead) fetch();
      yield next.value;
    }
  } catch (err) {
    done = true;
    throw err;
  } finally {
    if (!done) {
      // The caller stopped early: the source is closed after the fetch in flight, without making the caller wait for it.
      void Promise.allSettled(pending)
        .then(() => it.return?.())
        .catch(() => undefined);
    }
  }
}
