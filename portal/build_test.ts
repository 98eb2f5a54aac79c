import { join } from "node:path";
import { assertEquals, assertOk, assertRejects } from "../lib/testing/assert.ts";
import { AssetError, hashedName, loadAssets } from "./assets.ts";
import { buildAssets, isStale } from "./build.ts";

Deno.test("the build writes hashed, verifiable assets and skips an up-to-date output", async () => {
  const out = await Deno.makeTempDir({ prefix: "portal-build-test-" });
  try {
    assertEquals(await isStale(out), true);
    const first = await buildAssets({ outDir: out });
    assertEquals(first.built, true);
    assertEquals(Object.keys(first.manifest).sort(), ["client.js", "styles.css"]);
    for (const [name, file] of Object.entries(first.manifest)) {
      assertEquals(await hashedName(name, await Deno.readFile(join(out, file))), file);
    }
    const bundle = await Deno.readTextFile(join(out, first.manifest["client.js"]));
    assertOk(bundle.includes("data-island") || bundle.includes("island"), "hydrates islands");
    assertOk(!/\bDeno\./.test(bundle), "no server code in the browser bundle");
    const assets = await loadAssets(out);
    assertEquals(assets.url("styles.css"), `/static/build/${first.manifest["styles.css"]}`);
    const again = await buildAssets({ outDir: out, ifStale: true });
    assertEquals(again.built, false);
    assertEquals(again.manifest, first.manifest);
    await Deno.writeTextFile(join(out, first.manifest["styles.css"]), "body{}");
    await assertRejects(() => loadAssets(out), AssetError);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
