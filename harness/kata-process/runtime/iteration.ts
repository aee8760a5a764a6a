/**
 * Async iterables the learner's code returned, iterated from the test process one pull at a time:
 * the iterator stays here, and each `next()` or `return()` the test asks for is made on it, so the
 * test sees every result (or error) the moment the learner's code produces it.
 */

const iterators = new WeakMap<AsyncIterable<unknown>, AsyncIterator<unknown>>()

/** Not a socket or stream: those are async iterable too, but cross as what they are. */
export function isAsyncIterable(value: object): value is AsyncIterable<unknown> {
  return typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === 'function'
}

function asyncIterableOf(object: object): AsyncIterable<unknown> {
  if (isAsyncIterable(object)) return object
  throw new Error(`${object.constructor?.name ?? 'the object'} is not async iterable`)
}

/** The iterator the test pulls from, asked of the iterable once, as a for await loop would. */
function iteratorOf(object: object): AsyncIterator<unknown> {
  const iterable = asyncIterableOf(object)
  let iterator = iterators.get(iterable)
  if (!iterator) {
    iterator = iterable[Symbol.asyncIterator]()
    iterators.set(iterable, iterator)
  }
  return iterator
}

/** The next result, as `for await` would take it; an error the iterator throws is the test's to see. */
export async function pullNext(object: object): Promise<IteratorResult<unknown>> {
  const { done, value } = await iteratorOf(object).next()
  return { done: done === true, value }
}

/** Stops the iteration early, as `break` in a for await loop does: return(), when the iterator has one. */
export async function stopIterating(object: object): Promise<IteratorResult<unknown>> {
  const iterator = iteratorOf(object)
  if (!iterator.return) return { done: true, value: undefined }
  const { done, value } = await iterator.return()
  return { done: done === true, value }
}
