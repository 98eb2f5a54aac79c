/**
 * `portal:hash-password` never echoes the password: typed into a real pseudo-terminal (util-linux
 * `script`, whose pty echoes input like any terminal unless the program turns echo off), piped,
 * edited with Backspace, or mistyped the second time.
 */
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { fileRequirement, testRequiring } from "../lib/testing/requirements.ts";
import { verifyPassword } from "./auth.ts";
import { type HiddenInput, readHidden } from "./hash_password.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const PASSWORD = "tr0ub4dor&3-horse-staple";
const HASH = /pbkdf2-sha256\$\d+\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+/;

const script = await fileRequirement("util-linux script (a pseudo-terminal)", "/usr/bin/script");

/** The command under a pty: everything it writes, and a way to type into it. */
function underPty() {
  const command = `'${Deno.execPath()}' run portal/hash_password.ts`;
  const child = new Deno.Command("/usr/bin/script", {
    args: ["-q", "-e", "-c", command, "/dev/null"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  // Failure deadline only (a hung run fails instead of hanging the suite), never a threshold.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 120_000);
  const writer = child.stdin.getWriter();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let output = "";
  return {
    output: () => output,
    async waitFor(text: string) {
      while (!output.includes(text)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`ended before "${text}"; output: ${JSON.stringify(output)}`);
        output += decoder.decode(value, { stream: true });
      }
    },
    type: (text: string) => writer.write(new TextEncoder().encode(text)),
    async finish() {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        output += decoder.decode(value, { stream: true });
      }
      await writer.close().catch(() => {});
      const status = await child.status;
      await child.stderr.cancel();
      clearTimeout(deadline);
      return { code: status.code, output };
    },
  };
}

Deno.test(testRequiring(
  script,
  "typed into a pseudo-terminal the password is never echoed; the hash verifies",
  async () => {
    const pty = underPty();
    await pty.waitFor("Portal password");
    // A slip corrected with Backspace: "!" then DEL.
    await pty.type(`${PASSWORD}!\x7f\r`);
    await pty.waitFor("again");
    await pty.type(`${PASSWORD}\r`);
    const { code, output } = await pty.finish();
    assertEquals(code, 0, output);
    assertOk(!output.includes(PASSWORD), `the password was echoed: ${JSON.stringify(output)}`);
    assertOk(!output.includes(PASSWORD.slice(0, 6)), "not even partly");
    const hash = HASH.exec(output)?.[0];
    assertOk(hash, output);
    assertOk(await verifyPassword(PASSWORD, hash));
  },
));

Deno.test(
  testRequiring(script, "two different entries print nothing and echo neither", async () => {
    const pty = underPty();
    await pty.waitFor("Portal password");
    await pty.type(`${PASSWORD}\r`);
    await pty.waitFor("again");
    await pty.type(`other-${PASSWORD}\r`);
    const { code, output } = await pty.finish();
    assertEquals(code, 2);
    assertOk(output.includes("the two entries differ"));
    assertOk(!output.includes(PASSWORD) && !HASH.test(output), JSON.stringify(output));
  }),
);

Deno.test("from a pipe stdout carries only the hash and nothing echoes the password", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "portal/hash_password.ts"],
    cwd: ROOT,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(`${PASSWORD}\n`));
  await writer.close();
  const { code, stdout, stderr } = await child.output();
  const out = new TextDecoder().decode(stdout);
  assertEquals(code, 0);
  assertOk(/^pbkdf2-sha256\$\S+\n$/.test(out), out);
  assertOk(await verifyPassword(PASSWORD, out.trim()));
  assertOk(!new TextDecoder().decode(stderr).includes(PASSWORD));
});

Deno.test("readHidden turns echo off before prompting, edits, and always restores", async () => {
  const events: string[] = [];
  const input = (typed: string[]): HiddenInput => ({
    read(buffer) {
      const next = typed.shift();
      if (next === undefined) return Promise.resolve(null);
      const bytes = new TextEncoder().encode(next);
      buffer.set(bytes);
      return Promise.resolve(bytes.length);
    },
    setRaw: (raw) => void events.push(`raw=${raw}`),
    write: (text) => Promise.resolve(void events.push(`write ${JSON.stringify(text)}`)),
  });
  assertEquals(await readHidden("P: ", input(["héllo", "\x7f\x7fwo", "\x15ok\r"])), "ok");
  assertEquals(events, ["raw=true", 'write "P: "', "raw=false", 'write "\\n"']);
  assertEquals(await readHidden("P: ", input(["abé\x7f", "c\r"])), "abc", "a multi-byte char");
  assertEquals(await readHidden("P: ", input(["secret\x03"])), undefined, "Ctrl-C");
  assertEquals(await readHidden("P: ", input(["\x04"])), undefined, "Ctrl-D on an empty line");
  assertEquals(await readHidden("P: ", input(["partial"])), "partial", "end of input");
});
