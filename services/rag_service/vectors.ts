/**
 * Embedding vectors: the provider interface and the storage encodings (little-endian float32
 * bytes for the `bytea` column, pgvector's text literal for the `vector` column).
 * @module
 */

/** Turns document texts into vectors of a fixed dimension (unit length for cosine search). */
export interface EmbeddingProvider {
  /** Model name stored in `embeddings.model`, e.g. `hash-tf-256-v1`. */
  readonly model: string;
  /** Dimensions of every vector it returns. */
  readonly dimensions: number;
  /** Embeds `texts` in order; each result has `dimensions` entries and unit (or zero) length. */
  embed(texts: readonly string[], options?: { signal?: AbortSignal }): Promise<Float32Array[]>;
}

/** Scales `vector` to unit length in place (a zero vector stays zero) and returns it. */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i] * vector[i];
  if (sum === 0) return vector;
  const scale = 1 / Math.sqrt(sum);
  for (let i = 0; i < vector.length; i++) vector[i] *= scale;
  return vector;
}

/** Encodes a vector as little-endian float32 bytes (the `embeddings.vector` column). */
export function encodeVector(vector: Float32Array): Uint8Array {
  const bytes = new Uint8Array(vector.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < vector.length; i++) view.setFloat32(i * 4, vector[i], true);
  return bytes;
}

/** Decodes little-endian float32 bytes; throws RangeError when the length is not 4 * dimensions. */
export function decodeVector(bytes: Uint8Array, dimensions: number): Float32Array {
  if (bytes.length !== dimensions * 4) {
    throw new RangeError(
      `expected ${dimensions * 4} bytes for ${dimensions} dimensions, got ${bytes.length}`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const vector = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i++) vector[i] = view.getFloat32(i * 4, true);
  return vector;
}

/** pgvector's text form, `[0.1,0.2,...]` (float32 values printed exactly). */
export function vectorLiteral(vector: Float32Array): string {
  return `[${Array.from(vector, (x) => String(x)).join(",")}]`;
}

/** Dot product (the cosine similarity of unit vectors). */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
