/**
 * On a fresh clone, `--help` and a wrong argument have no side effects: `deno task start`, `test`
 * and `launch` (so every service task) answer from a copy of the checkout without node_modules/,
 * create neither node_modules/ nor .data/, start no database and reach no registry (every HTTP
 * request of the run goes to a proxy that refuses connections; Deno's npm cache is the shared one).
 */
import { join } from "node:path";
import { exists, freshCopy, freshShellEnv } from "../../lib/testing/fresh_copy.ts";
import { assertEquals, assertOk } from "../../lib/testing/assert.ts";

/** A port nothing listens on. */
function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

interface Case {
  /** Arguments of `deno task`. */
  args: string[];
  /** Expected exit code: 0 for help, 2 for a usage error. */
  code: number;
  /** Text the answer must contain (stdout for help, stderr for an error). */
  says: string;
}

const CASES: Case[] = [
  { args: ["start", "--help"], code: 0, says: "--listen-host" },
  { args: ["start", "--bogus"], code: 2, says: "--bogus" },
  { args: ["start", "--listen-host", "everywhere"], code: 2, says: "START_LISTEN_HOST" },
  { args: ["start", "--services", "no_such_service"], code: 2, says: "no_such_service" },
  { args: ["launch", "rest_service", "--help"], code: 0, says: "Usage: rest_service" },
  { args: ["launch", "rest_service", "--bogus"], code: 2, says: "--bogus" },
  { args: ["rest", "--metrics-host", "nowhere"], code: 2, says: "METRICS_HOST" },
  { args: ["portal", "--help"], code: 0, says: "PORTAL_HOSTNAME" },
  { args: ["test", "--help"], code: 0, says: "Usage: deno task test" },
  { args: ["test", "--bogus"], code: 2, says: "--bogus" },
];

Deno.test("on a fresh clone, --help and a wrong argument install nothing, create no .data and connect nowhere", async () => {
  await using copy = await freshCopy();
  const proxy = `http://127.0.0.1:${closedPort()}`;
  const env = freshShellEnv({ HTTP_PROXY: proxy, HTTPS_PROXY: proxy });
  for (const { args, code, says } of CASES) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["task", "-q", ...args],
      cwd: copy.dir,
      clearEnv: true,
      env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(out.stdout);
    const stderr = new TextDecoder().decode(out.stderr);
    const what = `deno task ${args.join(" ")}`;
    assertEquals(out.code, code, `${what} exited ${out.code}: ${stderr}`);
    assertOk((code === 0 ? stdout : stderr).includes(says), `${what} said: ${stdout}${stderr}`);
    for (const made of ["node_modules", ".data", "portal/static/build"]) {
      assertOk(!(await exists(join(copy.dir, made))), `${what} created ${made}`);
    }
  }
});
