/**
 * Where the recorded Kalshi payloads live: `lib/kalshi/testdata/`, inside the repository (see its
 * SOURCES.md for the origin of each file). Tests and the fixture server read them only through
 * these helpers, so a fresh clone with nothing beside it has everything it needs.
 */
import { fileURLToPath } from "node:url";

/** Absolute path of `lib/kalshi/testdata`, derived from this module's location. */
export const FIXTURES_DIR: string = fileURLToPath(new URL("../testdata", import.meta.url));

/** Absolute path of one recorded payload, e.g. `fixturePath("rest/exchange_status_2026-10-06.json")`. */
export function fixturePath(name: string): string {
  return `${FIXTURES_DIR}/${name}`;
}

/** Parses one recorded JSON payload. */
export function readFixture(name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(fixturePath(name)));
}

/** Every recorded payload file below `rest/` and `ws/` (no docs), sorted, as absolute paths. */
export function fixtureFiles(): string[] {
  const files: string[] = [];
  for (const sub of ["rest", "ws"]) {
    for (const entry of Deno.readDirSync(fixturePath(sub))) {
      if (entry.isFile && /\.(json|ndjson|jsonl)$/.test(entry.name)) {
        files.push(fixturePath(`${sub}/${entry.name}`));
      }
    }
  }
  return files.sort();
}
