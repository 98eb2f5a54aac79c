/**
 * "The k most similar markets settled before as_of", over either backend: exact search in the
 * service (any PostgreSQL) or pgvector's HNSW index (where the extension exists). Both apply the
 * same rule for "settled before as_of": a yes/no (or scalar with a value) result, and the later of
 * the known settlement/determination times strictly before as_of.
 * @module
 */
import { ExactIndex } from "./exact_index.ts";
import type { SqlRunner } from "./sql_runner.ts";
import { decodeVector, vectorLiteral } from "./vectors.ts";

/** SQL for when market `m`'s outcome became known (settlement, else determination). */
export const RESOLVED_AT_SQL = "coalesce(m.settlement_ts, m.determination_ts)";

/** SQL condition: market `m` has an outcome usable as a label. */
export const HAS_OUTCOME_SQL =
  "(m.result IN ('yes', 'no') OR (m.result = 'scalar' AND m.settlement_value IS NOT NULL))";

/** A similar settled market. */
export interface Neighbor {
  /** Its ticker (the document id). */
  ticker: string;
  /** Cosine similarity to the query, -1 to 1. */
  similarity: number;
}

/** Options of {@linkcode NeighborSearch.nearestSettled}. */
export interface NearestOptions {
  /** Prediction time: only markets resolved strictly before it, documents available by it. */
  asOf: Date;
  /** Neighbours wanted. */
  k: number;
  /** Ticker to leave out (the target). */
  exclude?: string;
}

/** Finds similar settled markets. */
export interface NeighborSearch {
  /** `exact` or `pgvector`. */
  readonly backend: "exact" | "pgvector";
  /** The `k` nearest markets resolved before `asOf`, most similar first. */
  nearestSettled(query: Float32Array, options: NearestOptions): Promise<Neighbor[]>;
}

/** Which embeddings to search. */
export interface SearchSpace {
  /** `embeddings.model`. */
  model: string;
  /** Vector length. */
  dimensions: number;
}

/**
 * Loads every settled market's vector into an {@linkcode ExactIndex}; the row time is
 * max(resolved_at, available_at) so both look-ahead rules are one comparison.
 */
export async function loadExactSearch(db: SqlRunner, space: SearchSpace): Promise<NeighborSearch> {
  const rows = await db.query<{ key: string; vector: Uint8Array; at: Date | string }>(
    `SELECT e.subject_key AS key, e.vector,
            greatest(${RESOLVED_AT_SQL}, coalesce(e.available_at, '-infinity')) AS at
     FROM embeddings e JOIN markets m ON m.ticker = e.subject_key
     WHERE e.subject_kind = 'market' AND e.model = $1 AND e.dimensions = $2::int
       AND ${HAS_OUTCOME_SQL} AND ${RESOLVED_AT_SQL} IS NOT NULL
     ORDER BY e.subject_key`,
    [space.model, space.dimensions],
  );
  const index = new ExactIndex(space.dimensions, Math.max(16, rows.length));
  for (const r of rows) {
    const at = r.at instanceof Date ? r.at : new Date(r.at);
    index.add(r.key, decodeVector(r.vector, space.dimensions), at.getTime());
  }
  return {
    backend: "exact",
    nearestSettled(query, options) {
      const hits = index.search(query, {
        k: options.k,
        before: options.asOf.getTime(),
        exclude: options.exclude,
      });
      return Promise.resolve(hits.map((h) => ({ ticker: h.key, similarity: h.similarity })));
    },
  };
}

/** Options of {@linkcode pgvectorSearch}. */
export interface PgvectorOptions extends SearchSpace {
  /** `hnsw.ef_search` (candidate list size); default 100. */
  efSearch?: number;
}

/**
 * The plain HNSW kNN query over one model's vectors (no filter), `$1` the query vector, `$2` the
 * model, `$3` the limit. The dimension is inlined so the partial index's predicate and expression
 * match literally.
 */
export function knnSql(dimensions: number): string {
  if (!Number.isInteger(dimensions) || dimensions < 1 || dimensions > 2000) {
    throw new RangeError(`dimensions must be an integer from 1 to 2000, got ${dimensions}`);
  }
  const d = dimensions;
  return `SELECT e.subject_key AS key, e.available_at,
                 (e.embedding::vector(${d}) <=> $1::vector(${d})) AS distance
          FROM embeddings e
          WHERE e.dimensions = ${d} AND e.model = $2 AND e.subject_kind = 'market'
          ORDER BY e.embedding::vector(${d}) <=> $1::vector(${d})
          LIMIT $3`;
}

/**
 * Session settings of every pgvector search: the candidate list size, iterative index scans
 * (pgvector >= 0.8; so a filter or a limit beyond ef_search still gets enough rows) and a penalty
 * on explicit sorts, so the planner walks the HNSW index instead of sorting a sequential scan —
 * on small tables its cost model prefers the scan, but this backend was chosen for the index.
 */
export function pgvectorSettings(efSearch: number): string[] {
  if (!Number.isInteger(efSearch) || efSearch < 1 || efSearch > 1000) {
    throw new RangeError(`efSearch must be an integer from 1 to 1000, got ${efSearch}`);
  }
  return [
    `SET LOCAL hnsw.ef_search = ${efSearch}`,
    "SET LOCAL hnsw.iterative_scan = relaxed_order",
    "SET LOCAL enable_sort = off",
  ];
}

/**
 * The settled-before-as_of query: the index's nearest `$3` candidates for vector `$1` of model
 * `$2`, then the settlement rule against as_of `$4`, excluding ticker `$5`, nearest `$6`.
 */
export function nearestSettledSql(dimensions: number): string {
  return `
    SELECT c.key, 1 - c.distance AS similarity, c.total
    FROM (SELECT knn.*, count(*) OVER () AS total FROM (${knnSql(dimensions)}) knn) c
    JOIN markets m ON m.ticker = c.key
    WHERE ${HAS_OUTCOME_SQL} AND ${RESOLVED_AT_SQL} < $4::timestamptz
      AND (c.available_at IS NULL OR c.available_at <= $4::timestamptz)
      AND c.key <> $5
    ORDER BY c.distance, c.key
    LIMIT $6`;
}

/**
 * Settled-before-as_of neighbours through the HNSW index: the index's nearest `n` candidates,
 * filtered by the settlement rule; when fewer than k survive and the index had more, `n` grows
 * fourfold (at worst every row: exact).
 */
export function pgvectorSearch(db: SqlRunner, options: PgvectorOptions): NeighborSearch {
  const settings = pgvectorSettings(options.efSearch ?? 100);
  const ef = options.efSearch ?? 100;
  const text = nearestSettledSql(options.dimensions);
  const inner = knnSql(options.dimensions);
  return {
    backend: "pgvector",
    nearestSettled(query, nearest) {
      return db.transaction(async (tx) => {
        for (const statement of settings) await tx.query(statement);
        const literal = vectorLiteral(query);
        let n = Math.max(ef, nearest.k * 8);
        while (true) {
          const rows = await tx.query<{ key: string; similarity: number; total: number | string }>(
            text,
            [
              literal,
              options.model,
              n,
              nearest.asOf.toISOString(),
              nearest.exclude ?? "",
              nearest.k,
            ],
          );
          const total = rows.length ? Number(rows[0].total) : 0;
          if (rows.length >= nearest.k || (rows.length > 0 && total < n) || n >= 1_000_000) {
            return rows.map((r) => ({ ticker: r.key, similarity: Number(r.similarity) }));
          }
          if (rows.length === 0) {
            // No survivor: was the candidate list short of n (nothing more to scan)?
            const count = await tx.query<{ total: number | string }>(
              `SELECT count(*) AS total FROM (${inner}) knn`,
              [literal, options.model, n],
            );
            if (Number(count[0]?.total ?? 0) < n) return [];
          }
          n *= 4;
        }
      });
    },
  };
}
