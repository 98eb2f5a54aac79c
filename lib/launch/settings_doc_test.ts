import { assertEquals } from "../testing/assert.ts";
import { renderSettingsDoc } from "./settings_doc.ts";

Deno.test("docs/configuration.md matches the command definitions (run `deno task docs` after a change)", async () => {
  const onDisk = await Deno.readTextFile(new URL("../../docs/configuration.md", import.meta.url));
  assertEquals(onDisk, renderSettingsDoc());
});
