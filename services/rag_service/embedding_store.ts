/**
 * Keeps `embeddings` in step with the market documents: embeds new and changed documents only
 * (by content SHA-256), stores float32 bytes always and, where pgvector is installed, the same
 * vector in the `embedding vector` column that the HNSW index covers.
 * @module
 */
import { loadDocuments, type MarketDocument } from "./documents.ts";
import type { SqlRunner } from "./sql_runner.ts";
import { type EmbeddingProvider, encodeVector, vectorLiteral } from "./vectors.ts";

/** Counts of one synchronisation. */
export interface SyncResult {
  /** Documents seen. */
  documents: number;
  /** Documents embedded and written (new or changed). */
  embedded: number;
}

/** Whether the database has pgvector installed (the `vector` type exists). */
export async function hasPgvector(db: SqlRunner): Promise<boolean> {
  const rows = await db.query<{ ok: boolean }>(`SELECT to_regtype('vector') IS NOT NULL AS ok`);
  return rows[0]?.ok === true;
}

/**
 * Adds the `embedding` column and the HNSW index for `dimensions` (see migrations/0003_rag.sql);
 * false when pgvector is missing.
 */
export async function ensureVectorIndex(db: SqlRunner, dimensions: number): Promise<boolean> {
  const rows = await db.query<{ ok: boolean }>(`SELECT ensure_embedding_index($1::int) AS ok`, [
    dimensions,
  ]);
  return rows[0]?.ok === true;
}

/** Options of {@linkcode syncEmbeddings}. */
export interface SyncOptions {
  /** Also write the pgvector column (call {@linkcode ensureVectorIndex} first). */
  pgvector: boolean;
  /** Documents per page; default 500. */
  pageSize?: number;
  /** Stops between pages. */
  signal?: AbortSignal;
}

/** Embeds every new or changed market document and upserts it. */
export async function syncEmbeddings(
  db: SqlRunner,
  provider: EmbeddingProvider,
  options: SyncOptions,
): Promise<SyncResult> {
  const result: SyncResult = { documents: 0, embedded: 0 };
  for await (const page of loadDocuments(db, { pageSize: options.pageSize ?? 500 })) {
    options.signal?.throwIfAborted();
    result.documents += page.length;
    const known = await db.query<{ subject_key: string; content_sha256: string }>(
      `SELECT subject_key, content_sha256 FROM embeddings
       WHERE subject_kind = 'market' AND model = $1 AND subject_key = ANY($2::text[])`,
      [provider.model, page.map((d) => d.ticker)],
    );
    const shas = new Map(known.map((k) => [k.subject_key, k.content_sha256]));
    const changed = page.filter((d) => shas.get(d.ticker) !== d.sha256);
    if (changed.length === 0) continue;
    const vectors = await provider.embed(changed.map((d) => d.text), { signal: options.signal });
    await writeEmbeddings(db, provider, changed, vectors, options.pgvector);
    result.embedded += changed.length;
  }
  return result;
}

async function writeEmbeddings(
  db: SqlRunner,
  provider: EmbeddingProvider,
  documents: readonly MarketDocument[],
  vectors: readonly Float32Array[],
  pgvector: boolean,
): Promise<void> {
  const chunk = 100;
  for (let start = 0; start < documents.length; start += chunk) {
    const params: unknown[] = [provider.model, provider.dimensions];
    const rows: string[] = [];
    for (let i = start; i < Math.min(documents.length, start + chunk); i++) {
      const d = documents[i];
      const v = vectors[i];
      if (v.length !== provider.dimensions) {
        throw new RangeError(`${provider.model} returned ${v.length} dimensions for ${d.ticker}`);
      }
      const n = params.length;
      params.push(d.ticker, encodeVector(v), d.sha256, d.availableAt?.toISOString() ?? null);
      const vectorParam = pgvector ? `, $${n + 5}::vector` : "";
      if (pgvector) params.push(vectorLiteral(v));
      rows.push(
        `('market', $${n + 1}, $1, $2::int, $${n + 2}::bytea, $${n + 3}, $${
          n + 4
        }::timestamptz${vectorParam})`,
      );
    }
    const vectorColumn = pgvector ? ", embedding" : "";
    const vectorUpdate = pgvector ? ", embedding = EXCLUDED.embedding" : "";
    await db.query(
      `INSERT INTO embeddings (subject_kind, subject_key, model, dimensions, vector, content_sha256,
                               available_at${vectorColumn})
       VALUES ${rows.join(", ")}
       ON CONFLICT (subject_kind, subject_key, model) DO UPDATE SET
         dimensions = EXCLUDED.dimensions, vector = EXCLUDED.vector,
         content_sha256 = EXCLUDED.content_sha256, available_at = EXCLUDED.available_at,
         created_at = now()${vectorUpdate}`,
      params,
    );
  }
}
