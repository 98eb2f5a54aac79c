import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { EmbeddedPostgresError } from "./embedded.ts";
import { startEmbeddedPostgresProcess } from "./embedded_process.ts";
import { createPool } from "./pool.ts";

async function scratchDir(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "kalshi_embedded_process_" });
  // As root the server runs as the `postgres` OS user, which must be able to reach the data dir.
  await Deno.chmod(dir, 0o755);
  return dir;
}

/**
 * Session id of a process, from `ps` (Deno reads /proc only with --allow-all). 0 when the session
 * leader is outside this PID namespace (a test run inside a container).
 */
async function sessionOf(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "sid=", "-p", String(pid)] }).output();
  const text = new TextDecoder().decode(out.stdout).trim();
  const sid = Number(text);
  if (!out.success || text === "" || !Number.isInteger(sid) || sid < 0) {
    throw new Error(`no process ${pid}`);
  }
  return sid;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("the embedded PostgreSQL runs in a helper of its own session (out of reach of a terminal's Ctrl-C) and stops when asked", async () => {
  const dir = await scratchDir();
  const dataDir = join(dir, "postgres");
  try {
    const server = await startEmbeddedPostgresProcess({ dataDir, logLevel: "warn" });
    try {
      assertEquals(await sessionOf(server.pid), server.pid, "the helper leads a session");
      assertOk(await sessionOf(server.pid) !== await sessionOf(Deno.pid));
      const postmaster = Number(
        (await Deno.readTextFile(join(dataDir, "postmaster.pid"))).split("\n")[0],
      );
      assertEquals(
        await sessionOf(postmaster),
        server.pid,
        "the server is in the helper's session",
      );
      const sql = createPool(server.url, { max: 1 });
      const [{ one }] = await sql`SELECT 1 AS one`;
      assertEquals(one, 1);
      await sql.end();
    } finally {
      await server.stop();
      await server.stop(); // idempotent
    }
    assertEquals(await exists(join(dataDir, "postmaster.pid")), false, "the server stopped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the helper stops the server once its owner is gone (its stdin closes)", async () => {
  const dir = await scratchDir();
  const dataDir = join(dir, "postgres");
  try {
    const helper = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        fileURLToPath(new URL("./embedded_process.ts", import.meta.url)),
        "--data-dir",
        dataDir,
        "--log-level",
        "warn",
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const reader = helper.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let first = "";
    while (!first.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) break;
      first += value;
    }
    const report = JSON.parse(first);
    assertOk(typeof report.url === "string" && report.port > 0, first);
    assertOk(await exists(join(dataDir, "postmaster.pid")));
    await helper.stdin.close(); // what the owner's exit does, however it exits
    const status = await helper.status;
    await reader.cancel();
    assertEquals(status.code, 0);
    assertEquals(await exists(join(dataDir, "postmaster.pid")), false, "the server stopped");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server that cannot start is reported as an EmbeddedPostgresError with its reason", async () => {
  const dir = await scratchDir();
  try {
    // A data directory that is a file: initdb cannot use it.
    const dataDir = join(dir, "not-a-directory");
    await Deno.writeTextFile(dataDir, "in the way");
    let thrown: unknown;
    try {
      const server = await startEmbeddedPostgresProcess({ dataDir, logLevel: "error" });
      await server.stop();
    } catch (error) {
      thrown = error;
    }
    assertOk(thrown instanceof EmbeddedPostgresError, String(thrown));
    assertOk((thrown as Error).message.length > 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
