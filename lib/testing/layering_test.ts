/** Keeps the house standing: lib/ never imports services/ or portal/; services never import each other. */
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { assertEquals } from "./assert.ts";

const root = fileURLToPath(new URL("../../", import.meta.url));

function* sources(dir: string): Generator<string> {
  for (const entry of Deno.readDirSync(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory && !["node_modules", ".data", "build"].includes(entry.name)) {
      yield* sources(path);
    } else if (/\.(ts|tsx)$/.test(entry.name)) yield path;
  }
}

/** Relative imports of a file, resolved to paths from the project root. */
function imports(file: string): string[] {
  const text = Deno.readTextFileSync(file);
  const found = [...text.matchAll(/(?:from|import)\s*\(?\s*["'](\.{1,2}\/[^"']+)["']/g)];
  return found.map((m) => relative(root, resolve(file, "..", m[1])));
}

function area(path: string): string {
  const [top, second] = path.split("/");
  return top === "services" ? `services/${second}` : top;
}

Deno.test("lib/ imports neither services/ nor portal/, and services never import each other", () => {
  const violations: string[] = [];
  for (const top of ["lib", "services", "portal"]) {
    for (const file of sources(join(root, top))) {
      const from = relative(root, file);
      for (const target of imports(file)) {
        const a = area(from);
        const b = area(target);
        if (a === "lib" && (b.startsWith("services") || b === "portal")) {
          violations.push(`${from} -> ${target}`);
        }
        if (a.startsWith("services/") && b.startsWith("services/") && a !== b) {
          violations.push(`${from} -> ${target}`);
        }
      }
    }
  }
  assertEquals(violations, []);
});

/** The faces: the files `lib/deno.json` exports (`@kalshi-data/lib/kalshi` → lib/kalshi/mod.ts, …). */
function faces(): Map<string, string> {
  const config = JSON.parse(Deno.readTextFileSync(join(root, "lib/deno.json")));
  const entries = Object.entries(config.exports as Record<string, string>);
  return new Map(
    entries.map(([key, file]) => [join("lib", file), `@kalshi-data/lib${key.slice(1)}`]),
  );
}

/** A lib module is the first folder under lib/ (lib/kalshi/sim belongs to lib/kalshi). */
function libModule(path: string): string | null {
  const match = /^lib\/([^/]+)\//.exec(path);
  return match ? match[1] : null;
}

/** Test support: a `testing/` folder of a module, or lib/testing itself. */
function isTestSupport(path: string): boolean {
  return /(^|\/)testing\//.test(path);
}

/** The specifier of the face nearest to a lib file (lib/kalshi/sim/world.ts → …/kalshi/sim). */
function faceFor(target: string, faceFiles: Map<string, string>): string {
  const candidates = [...faceFiles].filter(([file]) => target.startsWith(dirname(file) + "/"));
  candidates.sort(([a], [b]) => b.length - a.length);
  return candidates[0]?.[1] ?? "a face listed in lib/deno.json";
}

/** Imports that skip a face: relative imports into lib/ from outside it, or into another module's private files. */
function faceViolations(from: string, faceFiles: Map<string, string>): string[] {
  const fromModule = libModule(from);
  const violations: string[] = [];
  for (const target of imports(join(root, from))) {
    const toModule = libModule(target);
    if (toModule === null || toModule === fromModule || isTestSupport(target)) continue;
    if (fromModule === null) {
      violations.push(`${from} -> ${target} (import "${faceFor(target, faceFiles)}")`);
    } else if (!faceFiles.has(target)) {
      violations.push(`${from} -> ${target} (a private file of lib/${toModule}: use its face)`);
    }
  }
  return violations;
}

Deno.test("imports of lib/ go through a face: @kalshi-data/lib/<module> outside lib/, mod.ts inside", () => {
  const faceFiles = faces();
  const violations: string[] = [];
  for (const top of ["lib", "services", "portal", "bench", "tests", "slurm", "docs"]) {
    for (const file of sources(join(root, top))) {
      violations.push(...faceViolations(relative(root, file), faceFiles));
    }
  }
  assertEquals(violations, []);
});

Deno.test("every face lib/deno.json names exists and lists its exports by name", () => {
  const problems: string[] = [];
  for (const [file, specifier] of faces()) {
    let text: string;
    try {
      text = Deno.readTextFileSync(join(root, file));
    } catch {
      problems.push(`${specifier}: ${file} is missing`);
      continue;
    }
    if (/^export \*/m.test(text)) problems.push(`${file}: export * (list the exports by name)`);
  }
  for (const entry of Deno.readDirSync(join(root, "lib"))) {
    const face = `lib/${entry.name}/mod.ts`;
    if (entry.isDirectory && entry.name !== "testing" && !faces().has(face)) {
      problems.push(`lib/${entry.name}: no face mapped in lib/deno.json (${face})`);
    }
  }
  assertEquals(problems, []);
});

Deno.test("one writer per catalog table: only lib/catalog writes series, events and markets", () => {
  const writes = /\b(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+(series|events|markets)\b/i;
  const violations: string[] = [];
  for (const top of ["lib", "services", "portal"]) {
    for (const file of sources(join(root, top))) {
      const from = relative(root, file);
      if (
        from.startsWith("lib/catalog/") || /_test\.tsx?$|(^|\/)_?testing(\/|_|\.ts$)/.test(from)
      ) {
        continue;
      }
      const text = Deno.readTextFileSync(file);
      if (writes.test(text)) violations.push(`${from}: ${writes.exec(text)![0]}`);
    }
  }
  assertEquals(violations, []);
});

/** Test code: tests, and test support in a module's `testing/` folder. */
function isTestCode(path: string): boolean {
  return /_test\.tsx?$/.test(path) || /(^|\/)testing\//.test(path);
}

Deno.test("test support lives in testing/ folders and no production module imports it", () => {
  const violations: string[] = [];
  for (const top of ["lib", "services", "portal"]) {
    for (const file of sources(join(root, top))) {
      const from = relative(root, file);
      if (/testing[^/]*\.tsx?$/.test(from) && !/(^|\/)testing\//.test(from)) {
        violations.push(`${from}: test support outside a testing/ folder`);
      }
      if (isTestCode(from)) continue;
      for (const target of imports(file)) {
        if (isTestCode(target)) violations.push(`${from} imports ${target}`);
      }
    }
  }
  assertEquals(violations, []);
});
