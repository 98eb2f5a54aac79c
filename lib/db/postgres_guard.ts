/**
 * Keeps a process alive through postgres.js's null-socket crash: postgres@3.4.9 may run a
 * deferred write after a connection closed and throw `Cannot read properties of null (reading
 * 'write')` from a timer, outside any await (porsager/postgres#1154, #1208; fixes pending in
 * #1168, #1209). The query concerned was already rejected with CONNECTION_CLOSED, so dropping
 * that one exception is safe; every other uncaught error still ends the process.
 * @module
 */

/** Whether `error` is postgres.js's deferred write on a closed connection. */
export function isPostgresClosedSocketWrite(error: unknown): boolean {
  if (!(error instanceof TypeError)) return false;
  return /reading 'write'|evaluating 'socket\.write'/.test(error.message) &&
    /postgres[\\/]src[\\/]connection\.js/.test(error.stack ?? "");
}

/**
 * Installs the guard on `globalThis` (idempotent); `onSuppressed` hears each dropped error.
 * Returns a function that removes it.
 */
export function guardPostgresClosedSocketWrites(
  onSuppressed: (error: Error) => void = () => {},
): () => void {
  const handler = (event: ErrorEvent) => {
    if (isPostgresClosedSocketWrite(event.error)) {
      event.preventDefault();
      onSuppressed(event.error);
    }
  };
  globalThis.addEventListener("error", handler);
  return () => globalThis.removeEventListener("error", handler);
}
