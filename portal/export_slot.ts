/**
 * The candle and tick download routes' common part: a slot from the export limiter (429 with
 * Retry-After when the client or everyone is at the cap), the CSV response over a cursor stream
 * that frees the slot when it ends, and JSON answers whose statement is cancelled when the client
 * goes away.
 * @module
 */
import type { CsvDownloadOptions } from "./data/candles.ts";
import type { ExportOutcome } from "./data/export_stream.ts";
import type { PortalContext, PortalDeps } from "./deps.ts";
import { EXPORT_RETRY_AFTER_SECONDS } from "./exports.ts";
import { errorResponse } from "./render.tsx";

/** A taken download slot. */
export interface ExportSlot {
  /** Frees the slot (idempotent). */
  release(): void;
}

/** Takes a download slot for the request's client, or answers 429 with Retry-After. */
export function takeExportSlot(c: PortalContext, deps: PortalDeps): ExportSlot | Response {
  const slot = deps.exports.limiter.tryAcquire(c.get("clientKey"));
  if ("release" in slot) return slot;
  const { perClient, total } = deps.exports.limiter.limits;
  deps.logger.warn("download refused", { client: c.get("client"), limit: slot.full });
  return errorResponse(c, deps, {
    status: 429,
    title: "Too many downloads",
    message: slot.full === "client"
      ? `You already have ${perClient} downloads running; wait for one to finish.`
      : `${total} downloads are running, the most the portal serves at once; try again shortly.`,
    headers: { "Retry-After": String(EXPORT_RETRY_AFTER_SECONDS) },
  });
}

function logEnd(c: PortalContext, deps: PortalDeps, outcome: ExportOutcome): void {
  const fields = {
    path: c.req.path,
    client: c.get("client"),
    rows: outcome.rows,
    ...(outcome.reason ? { reason: outcome.reason } : {}),
  };
  if (outcome.end === "aborted" || outcome.end === "failed") {
    deps.logger.warn(`download ${outcome.end}`, fields);
  } else deps.logger.debug(`download ${outcome.end}`, fields);
}

/**
 * Answers with a CSV stream that `open` starts; the slot is freed when the stream ends however
 * it ends (or at once when it cannot start, the error going on to the error handler).
 */
export async function csvResponse(
  c: PortalContext,
  deps: PortalDeps,
  slot: ExportSlot,
  filename: string,
  open: (options: CsvDownloadOptions) => Promise<ReadableStream<Uint8Array>>,
): Promise<Response> {
  let body: ReadableStream<Uint8Array>;
  try {
    body = await open({
      watchdog: deps.exports.watchdog,
      signal: c.req.raw.signal,
      onEnd: (outcome) => {
        slot.release();
        logEnd(c, deps, outcome);
      },
    });
  } catch (error) {
    slot.release();
    if (c.req.raw.signal.aborted) return new Response(null, { status: 499 }); // client left
    throw error;
  }
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${filename}"`,
    },
  });
}

/**
 * Runs a JSON download's work with the request's signal, then frees the slot. When the client
 * went away meanwhile (its statement was cancelled) nobody reads the answer: an empty 499.
 */
export async function jsonExport(
  c: PortalContext,
  slot: ExportSlot,
  work: (signal: AbortSignal) => Promise<Response>,
): Promise<Response> {
  const signal = c.req.raw.signal;
  try {
    return await work(signal);
  } catch (error) {
    if (signal.aborted) return new Response(null, { status: 499 });
    throw error;
  } finally {
    slot.release();
  }
}
