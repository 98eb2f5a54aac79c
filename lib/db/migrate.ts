/**
 * Applies the numbered SQL files of `migrations/` in order, once each, under a session-level
 * advisory lock (two migrators started together are safe: the second waits, then finds nothing
 * to do). Each file runs in its own transaction together with its `schema_migrations` row, so a
 * failing file leaves no trace. An applied file whose SHA-256 changed stops everything.
 * @module
 */
import type { Sql } from "./pool.ts";

/** Advisory lock key held while migrating (an arbitrary constant, "KALSHI-M"). */
export const MIGRATION_LOCK_KEY = 7240001000n;

/** Where the project's migration files live. */
export const DEFAULT_MIGRATIONS_DIR: URL = new URL("../../migrations/", import.meta.url);

const FILE_NAME = /^(\d{4})_[a-z0-9_]+\.sql$/;

/** One migration file: its name (e.g. `0001_core.sql`), SQL text and SHA-256 hex. */
export interface MigrationFile {
  name: string;
  sql: string;
  checksum: string;
}

/** A migration's state as `--status` reports it. */
export interface MigrationStatus {
  /** File name in `migrations/`. */
  name: string;
  /** Applied, pending, applied but since modified, or applied but its file is gone. */
  state: "applied" | "pending" | "modified" | "missing";
  /** SHA-256 of the file as applied (or as on disk when pending). */
  checksum: string;
  /** When it was applied. */
  appliedAt?: Date;
}

/** What {@linkcode migrate} did. */
export interface MigrateResult {
  /** Migrations applied by this run, in order. */
  applied: string[];
  /** Migrations that were applied before. */
  alreadyApplied: string[];
}

/** A migration problem that must stop the migrator; `file` names the culprit. */
export class MigrationError extends Error {
  /** The migration file concerned. */
  readonly file: string;
  /** Machine-readable cause. */
  readonly kind: "modified" | "missing" | "bad_name" | "duplicate_number" | "failed";
  /** Creates the error. */
  constructor(kind: MigrationError["kind"], file: string, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "MigrationError";
    this.kind = kind;
    this.file = file;
  }
}

/** Options shared by {@linkcode migrate} and {@linkcode migrationStatus}. */
export interface MigrateOptions {
  /** Directory holding the .sql files; defaults to the repository's `migrations/`. */
  dir?: string | URL;
  /** Progress reports (one per applied file). */
  onApplied?: (name: string, durationMs: number) => void;
}

/** Hex SHA-256 of a string's UTF-8 bytes. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Reads and checks the migration files of `dir`, sorted by number. */
export async function loadMigrations(dir: string | URL = DEFAULT_MIGRATIONS_DIR): Promise<
  MigrationFile[]
> {
  const base = typeof dir === "string" ? dir.replace(/\/?$/, "/") : dir;
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile || !entry.name.endsWith(".sql")) continue;
    if (!FILE_NAME.test(entry.name)) {
      throw new MigrationError(
        "bad_name",
        entry.name,
        `migration file ${entry.name} must be named NNNN_lower_snake.sql`,
      );
    }
    names.push(entry.name);
  }
  names.sort();
  const seen = new Map<string, string>();
  for (const name of names) {
    const number = name.slice(0, 4);
    const other = seen.get(number);
    if (other) {
      throw new MigrationError(
        "duplicate_number",
        name,
        `migration files ${other} and ${name} share the number ${number}`,
      );
    }
    seen.set(number, name);
  }
  return await Promise.all(names.map(async (name) => {
    const path = typeof base === "string" ? base + name : new URL(name, base);
    const sql = await Deno.readTextFile(path);
    return { name, sql, checksum: await sha256Hex(sql) };
  }));
}

interface AppliedRow {
  name: string;
  checksum: string;
  applied_at: Date;
}

/** Refuses to go on when an applied file was edited or deleted. */
function verifyApplied(files: MigrationFile[], applied: AppliedRow[]): void {
  const byName = new Map(files.map((f) => [f.name, f]));
  for (const row of applied) {
    const file = byName.get(row.name);
    if (!file) {
      throw new MigrationError(
        "missing",
        row.name,
        `migration ${row.name} was applied but its file is gone from the migrations directory`,
      );
    }
    if (file.checksum !== row.checksum) {
      throw new MigrationError(
        "modified",
        row.name,
        `migration ${row.name} was edited after it was applied (checksum ${row.checksum} ` +
          `recorded, file now ${file.checksum}); add a new migration instead of editing it`,
      );
    }
  }
}

/**
 * Applies every pending migration in order. Throws {@linkcode MigrationError} (naming the file)
 * when an applied file was edited or removed, or when a file fails; earlier files stay applied.
 */
export async function migrate(sql: Sql, options: MigrateOptions = {}): Promise<MigrateResult> {
  const files = await loadMigrations(options.dir);
  const conn = await sql.reserve();
  let locked = false;
  try {
    await conn`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY.toString()}::bigint)`;
    locked = true;
    await conn.unsafe(`
      CREATE TABLE IF NOT EXISTS schema_migrations (
        name        text PRIMARY KEY,
        checksum    text NOT NULL,
        applied_at  timestamptz NOT NULL DEFAULT now(),
        duration_ms integer NOT NULL
      )`);
    const applied = await conn<AppliedRow[]>`
      SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name`;
    verifyApplied(files, applied);
    const done = new Set(applied.map((r) => r.name));
    const result: MigrateResult = { applied: [], alreadyApplied: [...done] };
    for (const file of files) {
      if (done.has(file.name)) continue;
      const started = performance.now();
      await conn.unsafe("BEGIN");
      try {
        await conn.unsafe(file.sql).simple();
        const durationMs = Math.round(performance.now() - started);
        await conn`
          INSERT INTO schema_migrations (name, checksum, duration_ms)
          VALUES (${file.name}, ${file.checksum}, ${durationMs})`;
        await conn.unsafe("COMMIT");
        result.applied.push(file.name);
        options.onApplied?.(file.name, durationMs);
      } catch (error) {
        await conn.unsafe("ROLLBACK").catch(() => {});
        const reason = error instanceof Error ? error.message : String(error);
        throw new MigrationError(
          "failed",
          file.name,
          `migration ${file.name} failed and was rolled back: ${reason}`,
          error,
        );
      }
    }
    return result;
  } finally {
    if (locked) {
      await conn`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY.toString()}::bigint)`.catch(
        () => {},
      );
    }
    conn.release();
  }
}

/** Lists every migration as applied, pending, modified (edited after applying) or missing. */
export async function migrationStatus(
  sql: Sql,
  options: MigrateOptions = {},
): Promise<MigrationStatus[]> {
  const files = await loadMigrations(options.dir);
  const [{ exists }] = await sql<{ exists: boolean }[]>`
    SELECT to_regclass('schema_migrations') IS NOT NULL AS exists`;
  const applied = exists
    ? await sql<AppliedRow[]>`SELECT name, checksum, applied_at FROM schema_migrations`
    : [];
  const byName = new Map(applied.map((r) => [r.name, r]));
  const out: MigrationStatus[] = files.map((file) => {
    const row = byName.get(file.name);
    if (!row) return { name: file.name, state: "pending", checksum: file.checksum };
    return {
      name: file.name,
      state: row.checksum === file.checksum ? "applied" : "modified",
      checksum: row.checksum,
      appliedAt: row.applied_at,
    };
  });
  const names = new Set(files.map((f) => f.name));
  for (const row of applied) {
    if (!names.has(row.name)) {
      out.push({
        name: row.name,
        state: "missing",
        checksum: row.checksum,
        appliedAt: row.applied_at,
      });
    }
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}
