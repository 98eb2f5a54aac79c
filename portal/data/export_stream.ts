/**
 * A CSV download streamed from a server-side cursor that always gives its connection back.
 *
 * The rows come from `DECLARE … CURSOR` and `FETCH n` in a transaction of its own (`sql.begin`
 * through ./transaction.ts, which never hands a dead connection back to the pool): each FETCH is a complete statement, so
 * between chunks the backend is "idle in transaction" and the server's
 * `idle_in_transaction_session_timeout` is a backstop, while `statement_timeout` bounds each
 * chunk rather than the whole download. The next chunk is read only when the client has taken
 * the previous one (memory stays flat however large the range, and no row cap applies). The
 * transaction ends and the connection returns to the pool the moment the download finishes,
 * fails, or is cancelled — the client went away (the response body is cancelled or the
 * request's signal aborts), stopped taking data, or ran past the time limit (the watchdog) — and
 * a FETCH under way is cancelled on the server too (the transaction ends only once the server
 * took that request, so it can never hit another request's statement).
 * @module
 */
import type postgres from "postgres";
import type { Sql } from "@kalshi-data/lib/db";
import type { ExportWatchdog } from "../exports.ts";
import { cancelAndWait, inTransaction, isConnectionLoss, runCancellable } from "./transaction.ts";

/** Rows per FETCH (about 200 KB of CSV). */
export const EXPORT_FETCH_ROWS = 2000;

/** How a download ended. */
export interface ExportOutcome {
  /** `done`, `cancelled` (the client went away), `aborted` (watchdog), or `failed`. */
  end: "done" | "cancelled" | "aborted" | "failed";
  /** Data rows sent. */
  rows: number;
  /** Why, for `aborted` and `failed`. */
  reason?: string;
}

/** Options of {@linkcode openCsvExport}. */
export interface CsvExportOptions {
  /** Column names, in order: the header line, and the keys read from each row. */
  columns: readonly string[];
  /** Ends the download when it stalls or runs too long. */
  watchdog: ExportWatchdog;
  /** The request's signal: aborts when the client disconnects. */
  signal?: AbortSignal;
  /** Called once, after the connection is back in the pool. */
  onEnd?: (outcome: ExportOutcome) => void;
  /** Rows per FETCH; default {@linkcode EXPORT_FETCH_ROWS}. */
  fetchRows?: number;
}

/**
 * The error a broken-off download's stream ends with. Deno.serve prints it; the structured log
 * line comes from `onEnd`, so the print is one line (no stack).
 */
function streamError(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  const text = value instanceof Date ? value.toISOString() : String(value);
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** CSV lines of `rows` (each ending in a newline). */
export function csvLines(columns: readonly string[], rows: readonly Record<string, unknown>[]) {
  let text = "";
  for (const row of rows) text += columns.map((c) => csvCell(row[c])).join(",") + "\n";
  return text;
}

/** How a download's transaction ends: commit, roll back, or — its connection died — send nothing. */
type Close = "commit" | "rollback" | "abandon";

/** A cursor open in a transaction of its own, on a connection of the pool. */
interface OpenCursor {
  /** Runs one statement in the transaction. */
  tx: postgres.TransactionSql;
  /** Rejects when the connection dies (a statement sent then might never answer). */
  lost: Promise<never>;
  /** Ends the transaction; resolves once the connection is back in the pool (or gone). */
  close(how: Close): Promise<void>;
}

const ROLLBACK = Symbol("rollback");
const never = new Promise<never>(() => {});

/**
 * Declares the cursor in a transaction (`sql.begin` through ./transaction.ts), which gives the
 * connection back to the pool however the transaction ends — and never a dead one, on which
 * nothing more is sent (see ./transaction.ts). A client that leaves while the DECLARE is planned
 * or waits on a lock cancels it.
 */
function declare(
  sql: Sql,
  select: postgres.PendingQuery<postgres.Row[]>,
  signal: AbortSignal | undefined,
): Promise<OpenCursor> {
  return new Promise((resolve, reject) => {
    let finish!: (how: Close) => void;
    const finished = new Promise<Close>((r) => finish = r);
    let opened = false;
    const transaction = inTransaction(sql, async (tx) => {
      await runCancellable(tx`DECLARE portal_export NO SCROLL CURSOR FOR ${select}`, signal);
      opened = true;
      resolve({ tx, lost, close });
      const how = await finished;
      if (how === "abandon") await never; // begin would send a ROLLBACK on a dead connection
      if (how === "rollback") throw ROLLBACK;
    });
    const settled = transaction.then(() => {}, () => {});
    const lost = transaction.then(() => never, (error) => {
      if (!opened) reject(error);
      throw error;
    });
    lost.catch(() => {});
    const close = (how: Close) => {
      finish(how);
      return settled;
    };
  });
}

/**
 * Opens the cursor of `select` (a postgres.js fragment of the pool, never run on its own) and
 * returns the CSV stream, header line first. Rejects — having released the connection — when
 * the query cannot start, so the route can still answer with an error status.
 */
export async function openCsvExport(
  sql: Sql,
  select: postgres.PendingQuery<postgres.Row[]>,
  options: CsvExportOptions,
): Promise<ReadableStream<Uint8Array>> {
  const cursor = await declare(sql, select, options.signal);
  const encoder = new TextEncoder();
  const fetchSql = `FETCH ${Math.max(1, Math.trunc(options.fetchRows ?? EXPORT_FETCH_ROWS))} ` +
    "FROM portal_export";
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  let ended = false;
  let inflight: postgres.PendingQuery<postgres.Row[]> | undefined;
  let rows = 0;
  let headerSent = false;

  const end = async (outcome: Omit<ExportOutcome, "rows">, lostWith?: unknown): Promise<void> => {
    if (ended) return;
    ended = true;
    watch.stop();
    options.signal?.removeEventListener("abort", onAbort);
    const dead = lostWith !== undefined && isConnectionLoss(lostWith);
    // A FETCH under way stops on the server too (and the request is taken before the end).
    if (inflight && !dead) await cancelAndWait(inflight);
    await cursor.close(dead ? "abandon" : outcome.end === "done" ? "commit" : "rollback");
    options.onEnd?.({ ...outcome, rows });
  };
  const fail = (error: unknown) => {
    if (ended) return;
    const reason = (error as Error).message;
    try {
      controller.error(streamError(`download failed: ${reason}`));
    } catch { /* already closed */ }
    end({ end: "failed", reason }, error);
  };
  const watch = options.watchdog.watch((reason) => {
    if (ended) return;
    controller.error(streamError(`download ended: ${reason}`));
    end({ end: "aborted", reason });
  });
  const onAbort = () => end({ end: "cancelled" });
  options.signal?.addEventListener("abort", onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  cursor.lost.catch(fail); // the connection died while the client was being waited for

  return new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
    async pull(c) {
      if (ended) return;
      watch.pulled();
      if (!headerSent) {
        headerSent = true;
        c.enqueue(encoder.encode(options.columns.join(",") + "\n"));
        watch.waiting();
        return;
      }
      try {
        inflight = cursor.tx.unsafe(fetchSql);
        const batch = await Promise.race([inflight, cursor.lost]);
        inflight = undefined;
        if (ended) return;
        if (batch.length === 0) {
          await end({ end: "done" });
          c.close();
          return;
        }
        rows += batch.length;
        c.enqueue(encoder.encode(csvLines(options.columns, batch)));
        watch.waiting();
      } catch (error) {
        fail(error); // unless cancelled meanwhile: then the FETCH was cancelled on purpose
      }
    },
    async cancel() {
      await end({ end: "cancelled" });
    },
  });
}
