-- 0003_rag: what rag_service (services/rag_service) needs beyond 0001's predictions/embeddings.
--
--   * Provenance of every prediction: the provider that answered, the SHA-256 of the exact prompt
--     (or of the offline model's inputs), and the documents retrieved (market tickers, nearest
--     first). `predicted_at` is the prediction's as_of: nothing dated after it was used.
--   * `embeddings.available_at`: when the embedded document became public (the market's creation),
--     so retrieval can refuse documents from after as_of.
--   * pgvector, when the server offers it (managed PostgreSQL does; Debian 12's packages do not):
--     the extension is created if possible, and ensure_embedding_index(dims) adds a `vector` column
--     `embedding` and a partial HNSW index (cosine) per dimension. The float32 bytes in
--     `embeddings.vector` stay the source of truth, so exact search in the service always works.
--     `vector` is a user-defined type, not real/double precision: the no-float-columns rule holds.

ALTER TABLE predictions
  ADD COLUMN provider            text,
  ADD COLUMN prompt_sha256       text CHECK (prompt_sha256 ~ '^[0-9a-f]{64}$'),
  ADD COLUMN retrieved_documents text[];
CREATE INDEX predictions_model_predicted_at_idx ON predictions (model, predicted_at);

ALTER TABLE embeddings ADD COLUMN available_at timestamptz;
CREATE INDEX embeddings_model_kind_idx ON embeddings (model, subject_kind, dimensions);

-- Settled-market lookups by time (retrieval's "settled before as_of").
CREATE INDEX markets_settlement_ts_idx ON markets (settlement_ts) WHERE result IS NOT NULL;

DO $pgvector$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS vector;
    EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR undefined_file THEN
      -- Not allow-listed for this role (e.g. Azure's azure.extensions): exact search is used.
      RAISE NOTICE 'pgvector is available but could not be created: %', SQLERRM;
    END;
  END IF;
END
$pgvector$;

-- Adds the `embedding vector` column (once) and the HNSW index for vectors of `dims` dimensions
-- (partial: WHERE dimensions = dims, on the expression embedding::vector(dims)); returns false when
-- pgvector is not installed. Queries must repeat the expression and the predicate literally.
-- SECURITY DEFINER so the service role (kalshi_writer) can call it; serialised by an advisory lock.
CREATE FUNCTION ensure_embedding_index(dims integer)
RETURNS boolean
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = public, pg_temp
AS $fn$
DECLARE
  index_name text := format('embeddings_hnsw_%s', dims);
BEGIN
  IF dims IS NULL OR dims < 1 OR dims > 2000 THEN
    RAISE EXCEPTION 'dims must be an integer from 1 to 2000 (the HNSW limit), got %', dims;
  END IF;
  IF to_regtype('vector') IS NULL THEN
    RETURN false;
  END IF;
  PERFORM pg_advisory_xact_lock(7240001009);
  IF NOT EXISTS (
    SELECT 1 FROM pg_attribute
    WHERE attrelid = 'public.embeddings'::regclass AND attname = 'embedding' AND NOT attisdropped
  ) THEN
    EXECUTE 'ALTER TABLE embeddings ADD COLUMN embedding vector';
  END IF;
  IF to_regclass(format('public.%I', index_name)) IS NULL THEN
    EXECUTE format(
      'CREATE INDEX %I ON embeddings USING hnsw ((embedding::vector(%s)) vector_cosine_ops) '
      'WHERE dimensions = %s', index_name, dims, dims);
  END IF;
  RETURN true;
END
$fn$;
REVOKE ALL ON FUNCTION ensure_embedding_index(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION ensure_embedding_index(integer) TO kalshi_writer;

-- The offline embedder's 256 dimensions get their index right away where pgvector exists.
SELECT ensure_embedding_index(256);
