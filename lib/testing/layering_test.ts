/** Keeps the house standing: lib/ never imports services/ or portal/; services never import each other. */
import { join, relative, resolve } from "node:path";
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
