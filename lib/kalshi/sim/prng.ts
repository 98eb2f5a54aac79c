/** Seeded, stateless randomness for the simulator: hashes of (seed, keys...) and a small PRNG. Never Math.random. */

/** Mixes one 32-bit word into a running hash (murmur3-style finalizer). */
function mix(h: number, k: number): number {
  k = Math.imul(k | 0, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, 0x1b873593);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function finalize(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Unsigned 32-bit hash of integer keys; the same keys always give the same value. */
export function hash32(...keys: number[]): number {
  let h = 0x9747b28c;
  for (const k of keys) {
    // Keys may exceed 32 bits (millisecond timestamps): fold the high part in too.
    const lo = k | 0;
    const hi = Math.floor(k / 4294967296) | 0;
    h = mix(h, lo);
    if (hi !== 0) h = mix(h, hi ^ 0x5bd1e995);
  }
  return finalize(h ^ keys.length);
}

/** Uniform float in [0, 1) derived from integer keys. */
export function unit(...keys: number[]): number {
  return hash32(...keys) / 4294967296;
}

/** Uniform integer in [min, max] (inclusive) derived from integer keys. */
export function intIn(min: number, max: number, ...keys: number[]): number {
  return min + (hash32(...keys) % (max - min + 1));
}

/** A mulberry32 generator: a sequential PRNG for streams (fault injection, ids). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A UUID-shaped string (8-4-4-4-12 hex) derived deterministically from integer keys. */
export function uuidFrom(...keys: number[]): string {
  const a = hash32(...keys, 1).toString(16).padStart(8, "0");
  const b = hash32(...keys, 2).toString(16).padStart(8, "0");
  const c = hash32(...keys, 3).toString(16).padStart(8, "0");
  const d = hash32(...keys, 4).toString(16).padStart(8, "0");
  return `${a}-${b.slice(0, 4)}-${b.slice(4)}-${c.slice(0, 4)}-${c.slice(4)}${d}`;
}

/** Fast fixed-arity hash of five 32-bit integer keys (hot paths: prices, trades). */
export function h5(a: number, b: number, c: number, d: number, e: number): number {
  let h = mix(0x9747b28c, a);
  h = mix(h, b);
  h = mix(h, c);
  h = mix(h, d);
  h = mix(h, e);
  return finalize(h ^ 5);
}

/** Uniform float in [0, 1) from five 32-bit integer keys. */
export function u5(a: number, b: number, c: number, d: number, e: number): number {
  return h5(a, b, c, d, e) / 4294967296;
}
