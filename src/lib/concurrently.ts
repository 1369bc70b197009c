/**
 * Calls `each` for every item with at most `concurrency` calls in flight. Items are taken one at a time, in order,
 * so a shared async listing (a paginated visibility query) is read once and never ahead of what is needed.
 * `each` handles its own errors: one that throws stops its lane and rejects the whole run.
 */
export async function forEachConcurrently<T>(
  items: Iterable<T> | AsyncIterable<T>,
  concurrency: number,
  each: (item: T) => Promise<void>
): Promise<void> {
  const iterator: Iterator<T> | AsyncIterator<T> =
    Symbol.asyncIterator in items ? items[Symbol.asyncIterator]() : items[Symbol.iterator]();
  const lane = async (): Promise<void> => {
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      await each(next.value);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.floor(concurrency)) }, lane));
}
