/**
 * A short-lived, bounded, in-process cache of successful GET answers keyed by path and query:
 * the data pages already tell browsers and shared caches they may reuse an answer for
 * `pageMaxAge` seconds, so the portal reuses it too for at most that long instead of asking
 * PostgreSQL again. Only installed without access control (answers are then the same for every
 * client); streamed answers (CSV) and anything not 200 or marked no-store/private are never
 * stored. Security and caching headers are added outside it on every answer, hit or miss.
 * @module
 */
import type { MiddlewareHandler } from "hono";

/** Options of {@linkcode responseCache}. */
export interface ResponseCacheOptions {
  /** How long an answer is reused, in milliseconds. */
  ttlMs: number;
  /** Most body bytes kept in all (oldest answers evicted first); larger answers pass through. */
  maxBytes: number;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
}

/** Counters of a cache. */
export interface ResponseCacheStats {
  hits: number;
  misses: number;
  entries: number;
  bytes: number;
}

/** A cache: its middleware (install after the auth gate) and counters. */
export interface ResponseCache {
  middleware: MiddlewareHandler;
  stats(): ResponseCacheStats;
}

interface Entry {
  storedAt: number;
  status: number;
  headers: [string, string][];
  body: Uint8Array;
}

/** Body types that are complete documents (HTML and JSON), as opposed to streamed downloads. */
const STORABLE_TYPE = /^(text\/html|application\/json)\b/;

/** The cache middleware and its counters. */
export function responseCache(options: ResponseCacheOptions): ResponseCache {
  const now = options.now ?? Date.now;
  const entries = new Map<string, Entry>();
  let hits = 0;
  let misses = 0;
  let bytes = 0;
  const remove = (key: string, entry: Entry) => {
    entries.delete(key);
    bytes -= entry.body.byteLength;
  };
  const middleware: MiddlewareHandler = async (c, next) => {
    if (c.req.method !== "GET") return next();
    const url = c.req.url;
    const key = url.slice(url.indexOf("/", url.indexOf("//") + 2));
    const entry = entries.get(key);
    const t = now();
    if (entry && t >= entry.storedAt && t - entry.storedAt < options.ttlMs) {
      hits++;
      return new Response(entry.body as BodyInit, { status: entry.status, headers: entry.headers });
    }
    if (entry) remove(key, entry);
    misses++;
    await next();
    const res = c.res;
    const cacheControl = res.headers.get("cache-control") ?? "";
    const type = res.headers.get("content-type") ?? "";
    if (
      res.status !== 200 || !STORABLE_TYPE.test(type) || /no-store|private/.test(cacheControl) ||
      res.headers.has("set-cookie")
    ) {
      return;
    }
    const body = new Uint8Array(await res.arrayBuffer());
    const headers = [...res.headers];
    c.res = new Response(body as BodyInit, { status: res.status, headers });
    if (body.byteLength > options.maxBytes) return;
    const replaced = entries.get(key); // a concurrent miss of the same key stored it meanwhile
    if (replaced) remove(key, replaced);
    for (const [oldKey, old] of entries) {
      if (bytes + body.byteLength <= options.maxBytes) break;
      remove(oldKey, old);
    }
    entries.set(key, { storedAt: t, status: res.status, headers, body });
    bytes += body.byteLength;
  };
  return { middleware, stats: () => ({ hits, misses, entries: entries.size, bytes }) };
}
