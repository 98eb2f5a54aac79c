/**
 * Why the status cannot be told (exit 3), in one line a person can act on: the database is
 * unreachable, too slow, or lacks the schema. Never a stack trace; never a password.
 * @module
 */
import { maskDatabaseUrl } from "../db/mod.ts";

/** The whole read took longer than its deadline (a hung server). */
export class StatusDeadlineError extends Error {
  /** Creates the error for a deadline of `ms`. */
  constructor(readonly ms: number) {
    super(`no answer within ${ms / 1000}s`);
    this.name = "StatusDeadlineError";
  }
}

/** Node-style and postgres.js codes of a connection that failed or broke. */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
]);

/** SQLSTATEs of a schema that is missing or older than this program. */
const SCHEMA_CODES = new Set(["42P01", "42703", "42883", "3F000"]);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : "";
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s+/g, " ").trim();
}

function isUnreachable(error: unknown, code: string): boolean {
  return CONNECTION_CODES.has(code) || /^(08|28|57P)/.test(code) || code === "3D000" ||
    error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.ConnectionRefused;
}

/** One line saying why nothing can be told, naming the database (password masked). */
export function cannotTellReason(error: unknown, databaseUrl: URL, timeoutSeconds: number): string {
  const db = maskDatabaseUrl(databaseUrl.href);
  const code = codeOf(error);
  if (error instanceof StatusDeadlineError) {
    return `the database at ${db} did not answer within ${error.ms / 1000}s (hung or overloaded?)`;
  }
  if (code === "57014") {
    return `a query at ${db} exceeded statement_timeout (${timeoutSeconds}s); ` +
      "raise --timeout or look at the server's load";
  }
  if (SCHEMA_CODES.has(code)) {
    return `the schema at ${db} is missing or older than this program (${oneLine(error)}); ` +
      "run `deno task migrate`";
  }
  if (isUnreachable(error, code)) {
    return `database unreachable at ${db}: ${oneLine(error)}`;
  }
  return `reading ${db} failed: ${oneLine(error)}`;
}
