import { join } from "node:path";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { startEmbeddedPostgres } from "./embedded.ts";
import { createPool } from "./pool.ts";

async function scratchDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kalshi_embedded_reuse_" });
  await Deno.chmod(dir, 0o755);
  return dir;
}

async function answers(url: string): Promise<boolean> {
  const sql = createPool(url, { max: 1, connectTimeoutSeconds: 2 });
  try {
    await sql`SELECT 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

Deno.test("a second start on a running data dir shares the server and leaves it to its owner", async () => {
  const dir = await scratchDir();
  const dataDir = join(dir, "postgres");
  const owner = await startEmbeddedPostgres({ dataDir });
  try {
    const guest = await startEmbeddedPostgres({ dataDir });
    assertEquals(guest.port, owner.port);
    assertOk(await answers(guest.url));
    await guest.stop();
    assertOk(await answers(owner.url), "the guest's stop leaves the owner's server running");
  } finally {
    await owner.stop();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server whose owner died is adopted, and stopped by its new owner", async () => {
  const dir = await scratchDir();
  const dataDir = join(dir, "postgres");
  const first = await startEmbeddedPostgres({ dataDir });
  let adopted = false;
  try {
    // The owner was SIGKILLed: its pid no longer exists, the server still runs.
    const statePath = join(dataDir, "kalshi_embedded.json");
    const state = JSON.parse(await Deno.readTextFile(statePath));
    await Deno.writeTextFile(statePath, JSON.stringify({ ...state, owner_pid: 2 ** 22 + 1 }));
    const adopter = await startEmbeddedPostgres({ dataDir });
    assertEquals(adopter.port, first.port);
    await adopter.stop();
    adopted = true;
    const ok = await answers(first.url);
    assertEquals(ok, false, "the adopter stopped the orphaned server");
  } finally {
    // After adoption the first handle's server is gone; its stop() would wait for an exit it missed.
    if (!adopted) await first.stop();
    await Deno.remove(dir, { recursive: true });
  }
});
