/**
 * The offline embedding: hashed term frequencies (feature hashing) of word unigrams and bigrams,
 * sublinear tf (1 + ln tf), signed buckets to cancel collisions on average, a small stop-word list
 * standing in for IDF, unit length. Deterministic, no network, no model download.
 * @module
 */
import { type EmbeddingProvider, normalize } from "./vectors.ts";

const STOP_WORDS = new Set(
  ("a an and are as at be by for from has have if in is it its of on or that the this to was " +
    "will with which who what when where than then there these those be been being do does " +
    "market markets yes no").split(" "),
);

/** Options of {@linkcode createHashingEmbedder}. */
export interface HashingEmbedderOptions {
  /** Vector length; default 256. */
  dimensions?: number;
}

/** 32-bit FNV-1a of a string's UTF-16 code units, mixed with `seed`. */
function fnv1a(text: string, seed: number): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Lower-cased word tokens without accents and stop words. */
export function tokenize(text: string): string[] {
  return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
    .split(/[^a-z0-9.$%]+/)
    .map((t) => t.replace(/^[.]+|[.]+$/g, ""))
    .filter((t) => t.length > 0 && !STOP_WORDS.has(t));
}

/** Embeds one text (exported for tests and for single queries). */
export function hashEmbed(text: string, dimensions: number): Float32Array {
  const tokens = tokenize(text);
  const counts = new Map<string, number>();
  const add = (feature: string, weight: number) =>
    counts.set(feature, (counts.get(feature) ?? 0) + weight);
  for (let i = 0; i < tokens.length; i++) {
    add(tokens[i], 1);
    if (i + 1 < tokens.length) add(`${tokens[i]} ${tokens[i + 1]}`, 0.5);
  }
  const vector = new Float32Array(dimensions);
  for (const [feature, tf] of counts) {
    const bucket = fnv1a(feature, 0) % dimensions;
    const sign = fnv1a(feature, 0x9e3779b9) & 1 ? 1 : -1;
    vector[bucket] += sign * (1 + Math.log(tf));
  }
  return normalize(vector);
}

/** The offline default provider (model `hash-tf-<dimensions>-v1`). */
export function createHashingEmbedder(options: HashingEmbedderOptions = {}): EmbeddingProvider {
  const dimensions = options.dimensions ?? 256;
  if (!Number.isInteger(dimensions) || dimensions < 8 || dimensions > 4096) {
    throw new RangeError(`dimensions must be an integer from 8 to 4096, got ${dimensions}`);
  }
  return {
    model: `hash-tf-${dimensions}-v1`,
    dimensions,
    embed: (texts) => Promise.resolve(texts.map((t) => hashEmbed(t, dimensions))),
  };
}
