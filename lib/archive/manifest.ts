/**
 * A day's manifest (`_manifest.json` beside its Parquet file): what was written — row count,
 * checksum (lib/archive/checksum.ts), schema, files with size and SHA-256 — so the archive can
 * be checked on its own, by anyone, without the database.
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { z } from "zod";
import { daySchema } from "./days.ts";
import { MANIFEST_NAME } from "./layout.ts";

/** Names the checksum definition, so a future change of it is recognisable. */
export const CHECKSUM_DEFINITION = "kalshi-archive-md5-60-sum/1";

const digits = z.string().regex(/^\d+$/);

/** A data file of a day: its name, size and SHA-256. */
export interface ManifestFile {
  /** The file's name in the day folder, `part-NNNNN.parquet`. */
  name: string;
  /** Its size in bytes. */
  bytes: number;
  /** Its SHA-256, lowercase hex. */
  sha256: string;
}

/** A column of the archived table as the Parquet file holds it. */
export interface ManifestColumn {
  /** The column's name. */
  name: string;
  /** Its DuckDB type (`duckType`, e.g. `DECIMAL(18,4)`, `TIMESTAMPTZ`). */
  type: string;
}

/** A day's manifest: what was written, checkable without the database. */
export interface Manifest {
  /** The table's name (lowercase letters and `_`). */
  table: string;
  /** The UTC day, `YYYY-MM-DD`. */
  day: string;
  /** Whether the table is archived by day of its rows or as a daily snapshot. */
  kind: "daily" | "snapshot";
  /** Rows written, as decimal text. */
  rows: string;
  /** The rows' checksum (lib/archive/checksum.ts), as decimal text. */
  checksum: string;
  /** Which checksum definition `checksum` follows ({@linkcode CHECKSUM_DEFINITION}). */
  checksumDefinition: typeof CHECKSUM_DEFINITION;
  /** The columns in file order (at least one). */
  columns: ManifestColumn[];
  /** The day's data files (at most 1000). */
  files: ManifestFile[];
  /** When the day was written, ISO 8601 UTC. */
  exportedAt: string;
}

const manifestFileSchema = z.object({
  name: z.string().regex(/^part-\d{5}\.parquet$/),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
}) satisfies z.ZodType<ManifestFile>;

const manifestSchema = z.object({
  table: z.string().regex(/^[a-z_]+$/),
  day: daySchema,
  kind: z.enum(["daily", "snapshot"]),
  rows: digits,
  checksum: digits,
  checksumDefinition: z.literal(CHECKSUM_DEFINITION),
  columns: z.array(z.object({ name: z.string(), type: z.string() })).min(1),
  files: z.array(manifestFileSchema).max(1000),
  exportedAt: z.iso.datetime(),
}) satisfies z.ZodType<Manifest>;

/** A manifest that cannot be used: which file, and why. */
export class ManifestError extends Error {
  /** The manifest's path. */
  readonly path: string;
  /** Creates the error. */
  constructor(path: string, reason: string) {
    super(`archive manifest ${path}: ${reason}`);
    this.name = "ManifestError";
    this.path = path;
  }
}

/** Reads and validates the manifest of a day folder; null when there is none. */
export async function readManifest(dir: string): Promise<Manifest | null> {
  const path = join(dir, MANIFEST_NAME);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestError(path, `not JSON (${(error as Error).message}); export the day again`);
  }
  const parsed = manifestSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ManifestError(
      path,
      `${issue.path.join(".") || "(root)"}: ${issue.message}; export the day again`,
    );
  }
  return parsed.data;
}

/** SHA-256 of a file, hex, read in chunks (bounded memory whatever the size). */
export async function sha256File(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  const file = await Deno.open(path, { read: true });
  // The stream closes the file when it ends or fails.
  for await (const chunk of file.readable) {
    hash.update(chunk);
    bytes += chunk.byteLength;
  }
  return { sha256: hash.digest("hex"), bytes };
}
