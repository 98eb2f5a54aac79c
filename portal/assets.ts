/**
 * Static assets with content-hashed names (`client-3f2a9c1d0b4e.js`), built by portal/build.ts
 * into portal/static/build/ with a manifest. Served from memory with year-long immutable caching:
 * a changed file gets a new name, so a stale copy can never be served.
 * @module
 */
import { join } from "node:path";

/** One built asset. */
export interface Asset {
  /** Hashed file name, e.g. `client-3f2a9c1d0b4e.js`. */
  file: string;
  contentType: string;
  body: Uint8Array;
}

/** The asset set a running portal serves. */
export interface Assets {
  /** Public URL of a logical asset (`client.js` → `/static/build/client-<hash>.js`). */
  url(name: string): string;
  /** The asset stored under a hashed file name. */
  get(file: string): Asset | undefined;
}

/** Logical name → hashed file name, as written to manifest.json. */
export type Manifest = Record<string, string>;

/** Where the build writes and the server reads. */
export const BUILD_DIR: URL = new URL("./static/build/", import.meta.url);

/** Public URL prefix of built assets. */
export const ASSET_PREFIX = "/static/build/";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".map": "application/json",
};

function contentTypeOf(file: string): string {
  const ext = file.slice(file.lastIndexOf("."));
  return TYPES[ext] ?? "application/octet-stream";
}

/** First 12 hex digits of the SHA-256 of `body`. */
export async function contentHash(body: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", body as BufferSource));
  return Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The hashed name of `name` for `body`: `styles.css` → `styles-<hash>.css`. */
export async function hashedName(name: string, body: Uint8Array): Promise<string> {
  const dot = name.lastIndexOf(".");
  return `${name.slice(0, dot)}-${await contentHash(body)}${name.slice(dot)}`;
}

/** The missing-asset error: the build has not run or is incomplete. */
export class AssetError extends Error {
  /** The asset or manifest concerned. */
  readonly asset: string;
  /** Creates the error. */
  constructor(asset: string, reason: string) {
    super(`portal asset ${asset}: ${reason} (run \`deno task portal:build\`)`);
    this.name = "AssetError";
    this.asset = asset;
  }
}

function assetSet(manifest: Manifest, files: Map<string, Asset>): Assets {
  return {
    url(name) {
      const file = manifest[name];
      if (!file) throw new AssetError(name, "not in the manifest");
      return ASSET_PREFIX + file;
    },
    get(file) {
      return files.get(file);
    },
  };
}

/** Builds an asset set in memory from logical names and contents (used by the build and tests). */
export async function createAssets(
  contents: Record<string, Uint8Array | string>,
): Promise<{ assets: Assets; manifest: Manifest; files: Asset[] }> {
  const manifest: Manifest = {};
  const files: Asset[] = [];
  for (const [name, content] of Object.entries(contents)) {
    const body = typeof content === "string" ? new TextEncoder().encode(content) : content;
    const file = await hashedName(name, body);
    manifest[name] = file;
    files.push({ file, contentType: contentTypeOf(file), body });
  }
  return { assets: assetSet(manifest, new Map(files.map((f) => [f.file, f]))), manifest, files };
}

/** Loads the built assets from `dir` (default portal/static/build/) via its manifest.json. */
export async function loadAssets(dir: string | URL = BUILD_DIR): Promise<Assets> {
  const base = dir instanceof URL ? dir.pathname : dir;
  let manifest: Manifest;
  try {
    manifest = JSON.parse(await Deno.readTextFile(join(base, "manifest.json")));
  } catch (error) {
    throw new AssetError(
      "manifest.json",
      `cannot be read from ${base}: ${(error as Error).message}`,
    );
  }
  const files = new Map<string, Asset>();
  for (const [name, file] of Object.entries(manifest)) {
    if (!/^[A-Za-z0-9_.-]+$/.test(file)) throw new AssetError(name, `bad file name ${file}`);
    const body = await Deno.readFile(join(base, file));
    const expected = await hashedName(name, body);
    if (expected !== file) throw new AssetError(name, `content does not match its hash ${file}`);
    files.set(file, { file, contentType: contentTypeOf(file), body });
  }
  return assetSet(manifest, files);
}
