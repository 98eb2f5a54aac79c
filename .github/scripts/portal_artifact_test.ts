/**
 * The portal's App Service artifact starts with the App Service startup command (`bash
 * startup.sh`, PORT set, only the read-only database URL given, nothing else on PATH but the
 * system) on a plain Linux box and answers /healthz. Uses PORTAL_ARTIFACT_DIR when set (CI builds
 * it with the npm `deno` package), else builds one with this Deno binary.
 */
import { join } from "node:path";
import { createTestDatabase } from "../../lib/db/testing/database.ts";
import { PROJECT_ROOT } from "../../lib/launch/launch.ts";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

Deno.test("the portal artifact starts with the App Service startup command and answers /healthz", async () => {
  let dir = Deno.env.get("PORTAL_ARTIFACT_DIR");
  let scratch: string | undefined;
  if (!dir) {
    scratch = await Deno.makeTempDir({ prefix: "kalshi-portal-artifact-" });
    dir = join(scratch, "portal");
    const build = await new Deno.Command("bash", {
      args: [join(PROJECT_ROOT, ".github", "scripts", "build_portal_artifact.sh"), dir],
      env: { PORTAL_DENO_BINARY: Deno.execPath() },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertOk(build.success, `build failed: ${new TextDecoder().decode(build.stderr)}`);
    assertOk((await Deno.stat(`${dir}.zip`)).isFile, "the zip for azure/webapps-deploy exists");
  }
  const db = await createTestDatabase({ max: 1 });
  const port = freePort();
  const child = new Deno.Command("bash", {
    args: ["startup.sh"],
    cwd: dir,
    clearEnv: true,
    env: {
      PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      HOME: Deno.env.get("HOME") ?? "/tmp",
      PORT: String(port),
      PORTAL_DATABASE_URL: db.url,
    },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logs = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let logText = "";
  const reading = (async () => {
    while (true) {
      const { value, done } = await logs.read();
      if (done) return;
      logText += value;
    }
  })();
  try {
    let status = 0;
    for (let i = 0; i < 240 && status !== 200; i++) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        status = response.status;
        await response.body?.cancel();
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    assertEquals(status, 200, `/healthz: ${logText}`);
    assertEquals(
      new TextDecoder().decode(
        (await new Deno.Command("readlink", { args: [`/proc/${child.pid}/exe`] }).output()).stdout,
      ).trim(),
      await Deno.realPath(join(dir, "bin", "deno")),
      "startup runs the Deno shipped in the artifact",
    );
  } finally {
    child.kill("SIGTERM");
    const { code } = await child.status;
    await reading;
    await child.stdout.cancel();
    await db.drop();
    if (scratch) await Deno.remove(scratch, { recursive: true });
    assertEquals(code, 0, `the portal stops cleanly on SIGTERM: ${logText.slice(-2000)}`);
  }
});
