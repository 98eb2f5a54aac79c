/**
 * The capture session's resume point (`ingest_state` key `ws.session`): what the previous run
 * reached, read before anything new is captured (its gap starts there), and this run's session
 * written in its place. Both retry until the database answers or the run stops.
 * @module
 */
import {
  getIngestState,
  type IngestStateValue,
  setIngestState,
  type Sql,
} from "@kalshi-data/lib/db";
import { backoffDelay } from "@kalshi-data/lib/kalshi";
import type { Logger } from "@kalshi-data/lib/log";

/** Runs `fn` until it succeeds; between failures waits a jittered backoff (≤ 10 s). */
export async function retryUntilStopped<T>(
  what: string,
  fn: () => Promise<T>,
  options: { logger: Logger; signal: AbortSignal },
): Promise<T> {
  for (let attempt = 0;; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (options.signal.aborted) throw error;
      options.logger.warn(`${what} failed; retrying`, { attempt, error: (error as Error).message });
      const delay = backoffDelay(attempt, { baseMs: 250, maxMs: 10_000 });
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

/** The previous session, if any, and where capture resumes (its last message time). */
export interface Resume {
  previous: IngestStateValue<"ws.session"> | undefined;
  /** ISO time the previous run's data reached; undefined on a first run. */
  resumeAt: string | undefined;
}

/** Reads the previous session and writes this one (`sessionId`, connected at `nowMs`). */
export async function startSession(
  sql: Sql,
  session: { instance: string; sessionId: string; nowMs: number },
  options: { logger: Logger; signal: AbortSignal },
): Promise<Resume> {
  const previous = await retryUntilStopped(
    "reading ws.session",
    () => getIngestState(sql, "ws.session", { scope: session.instance }),
    options,
  );
  const resumeAt = previous?.lastMessageAt ?? previous?.connectedAt;
  await retryUntilStopped("writing ws.session", () =>
    setIngestState(sql, {
      key: "ws.session",
      scope: session.instance,
      value: {
        sessionId: session.sessionId,
        connectedAt: new Date(session.nowMs).toISOString(),
        ...(resumeAt === undefined ? {} : { lastMessageAt: resumeAt }),
        // Per-channel times outlive the session, so `deno task status` still knows them.
        ...(previous?.channels === undefined ? {} : { channels: previous.channels }),
      },
    }), options);
  return { previous, resumeAt };
}
