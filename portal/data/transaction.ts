/**
 * Statements that give their connection back at once when the client goes away, without harming
 * anyone else's, on postgres.js 3.4.9.
 *
 * Two hazards shape this module:
 * - A cancel request (PostgreSQL's CancelRequest) acts on whatever its backend runs when it
 *   arrives. Sent for a statement that finishes meanwhile, it could cancel the next request's
 *   statement once the connection is back in the pool. So a cancellable statement runs in a
 *   transaction of its own, and the transaction ends only after the server has taken the cancel
 *   request (an idle backend ignores it).
 * - Once a connection died, nothing may be sent on it: postgres.js 3.4.9 then leaves the
 *   connection object in a state that makes the pool's next use of it hang or throw from a timer.
 *   `sql.begin` itself sends ROLLBACK when its callback throws; after a connection loss the
 *   callback therefore never settles (begin has already rejected, so the caller is answered).
 * @module
 */
import postgres from "postgres";
import type { Queryable, Sql } from "@kalshi-data/lib/db";

/**
 * Whether `error` means the connection is gone: a socket or postgres.js connection error
 * (`CONNECTION_CLOSED`, `ECONNRESET`, ...), or a FATAL/PANIC from the server (session ended).
 */
export function isConnectionLoss(error: unknown): boolean {
  if (error instanceof postgres.PostgresError) {
    return error.severity === "FATAL" || error.severity === "PANIC";
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && (/^CONNECT/.test(code) || /^E[A-Z]+$/.test(code));
}

/**
 * Cancels `query` on the server and resolves once the server has taken the request (postgres.js
 * 3.4.9's `query.cancel()` drops that promise; its `canceller`, which it calls, returns it).
 * Never rejects.
 */
export function cancelAndWait(query: { cancel(): void }): Promise<void> {
  const internal = query as unknown as { canceller?: ((q: unknown) => Promise<void>) | null };
  const canceller = internal.canceller;
  if (typeof canceller !== "function") {
    query.cancel();
    return Promise.resolve();
  }
  internal.canceller = null;
  return Promise.resolve(canceller(query)).then(() => {}, () => {});
}

const never = new Promise<never>(() => {});

/**
 * Runs `work` in a transaction (committed when it resolves, rolled back when it throws). When
 * the connection dies, the returned promise rejects and nothing more is sent on it.
 */
export function inTransaction<T>(
  sql: Sql,
  work: (tx: postgres.TransactionSql) => Promise<T>,
): Promise<T> {
  return sql.begin(async (tx) => {
    try {
      return await work(tx);
    } catch (error) {
      if (isConnectionLoss(error)) await never; // begin rejected already; send no ROLLBACK
      throw error;
    }
  }) as Promise<T>;
}

/**
 * Runs the statement `build` makes, cancelling it on the server when `signal` aborts (the client
 * went away) so its connection comes back at once. With a signal it runs in a transaction of its
 * own that ends only after the cancel request was taken (see the module doc).
 */
export async function cancellableQuery<T extends readonly postgres.Row[]>(
  sql: Sql,
  signal: AbortSignal | undefined,
  build: (q: Queryable) => postgres.PendingQuery<T & postgres.Row[]>,
): Promise<T> {
  if (!signal) return await build(sql);
  return await inTransaction(sql, (tx) => runCancellable(build(tx), signal));
}

/**
 * Awaits `query`, cancelling it when `signal` aborts; settles only after a cancel request sent
 * was taken by the server. Run it inside a transaction (see the module doc).
 */
export async function runCancellable<T extends readonly postgres.Row[]>(
  query: postgres.PendingQuery<T & postgres.Row[]>,
  signal: AbortSignal | undefined,
): Promise<T> {
  let cancelling: Promise<void> | undefined;
  const onAbort = () => {
    cancelling ??= cancelAndWait(query);
  };
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    if (signal?.aborted) onAbort();
    return await query;
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (cancelling) await cancelling;
  }
}
