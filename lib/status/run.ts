/**
 * `deno task status` as a function of its settings and its IO (injected by tests): connect with
 * short timeouts, collect the report, print it, return the exit code.
 * @module
 */
import type { SpoolUsage } from "../capture/mod.ts";
import type { statusCommand } from "../commands/mod.ts";
import type { ConfigOf } from "../config/mod.ts";
import { DatabaseUrlError, type Sql } from "../db/mod.ts";
import { cannotTellReason, StatusDeadlineError } from "./errors.ts";
import { collectStatus, exitCodeOf } from "./report.ts";
import { renderJson, renderText, renderUnknownJson } from "./render.ts";
import type { StatusContext } from "./section.ts";

/** The parsed settings of `status`. */
export type StatusConfig = ConfigOf<typeof statusCommand>;

/** Everything `status` touches outside itself. */
export interface StatusIo {
  /** Writes the report. */
  stdout(text: string): void;
  /** Writes errors. */
  stderr(text: string): void;
  /** The current time. */
  now(): Date;
  /** Opens a one-connection pool with this connect timeout. */
  connect(url: URL, options: { connectTimeoutSeconds: number }): Sql;
  /** Measures the spool folder; null when not here or not readable. */
  measureSpool(dir: string): Promise<SpoolUsage | null>;
}

/** Exit codes: healthy, stale, usage error, cannot tell. */
export const EXIT = { healthy: 0, stale: 1, usage: 2, unknown: 3 } as const;

/** The context (instant and limits) of a run. */
export function statusContext(config: StatusConfig, now: Date): StatusContext {
  return {
    now,
    spoolDir: config.spoolDir,
    limits: {
      wsSilenceMs: config.wsSilenceSeconds * 1000,
      wsChannels: config.wsChannels,
      maxPassAgeMs: config.maxPassAgeSeconds * 1000,
      maxDueAgeMs: config.maxDueAgeSeconds * 1000,
      deadWindowMs: config.deadWindowMinutes * 60_000,
    },
  };
}

/** Rejects with {@linkcode StatusDeadlineError} when `work` takes longer than `ms`. */
export async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StatusDeadlineError(ms)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

async function readReport(sql: Sql, io: StatusIo, ctx: StatusContext, timeoutSeconds: number) {
  // Per-session, on the pool's only connection: the server cancels a query that takes too long.
  await sql`SELECT set_config('statement_timeout', ${String(timeoutSeconds * 1000)}, false)`;
  return await collectStatus({ sql, measureSpool: io.measureSpool }, ctx);
}

/** Runs the status once and returns its exit code (see {@linkcode EXIT}). */
export async function runStatus(config: StatusConfig, io: StatusIo): Promise<number> {
  const now = io.now();
  const timeoutSeconds = config.timeoutSeconds;
  let sql: Sql | undefined;
  try {
    sql = io.connect(config.databaseUrl, { connectTimeoutSeconds: timeoutSeconds });
    const ctx = statusContext(config, now);
    const report = await withDeadline(
      readReport(sql, io, ctx, timeoutSeconds),
      2 * timeoutSeconds * 1000,
    );
    io.stdout(config.json ? renderJson(report) : renderText(report));
    return exitCodeOf(report);
  } catch (error) {
    if (error instanceof DatabaseUrlError) {
      io.stderr(`status: Invalid configuration: DATABASE_URL (--database-url): ${error.message}.`);
      io.stderr("Run 'status --help' for the list of settings.");
      return EXIT.usage;
    }
    const reason = cannotTellReason(error, config.databaseUrl, timeoutSeconds);
    io.stderr(`status: cannot tell: ${reason}`);
    if (config.json) io.stdout(renderUnknownJson(now, reason));
    return EXIT.unknown;
  } finally {
    await sql?.end({ timeout: 0 }).catch(() => {});
  }
}
