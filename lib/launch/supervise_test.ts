import { assertEquals, assertOk } from "../testing/assert.ts";
import { createLogger } from "../log/mod.ts";
import { supervise, tagLine } from "./supervise.ts";

const quiet = createLogger("test", { sink: () => {} });

function denoEval(code: string) {
  return { program: Deno.execPath(), args: ["eval", code], env: {}, cwd: Deno.cwd() };
}

Deno.test("child lines are merged into one JSON stream tagged with the child's name", () => {
  assertEquals(JSON.parse(tagLine("ws_service", '{"level":"info","message":"hi"}')), {
    service: "ws_service",
    level: "info",
    message: "hi",
  });
  const wrapped = JSON.parse(tagLine("sim", "plain text"));
  assertEquals([wrapped.service, wrapped.message], ["sim", "plain text"]);
});

Deno.test("a crashing child is restarted with backoff until the supervisor is stopped", async () => {
  const stop = new AbortController();
  const lines: string[] = [];
  let starts = 0;
  const events: string[] = [];
  const logger = createLogger("launcher", {
    sink: (line) => {
      const { message, backoff_ms } = JSON.parse(line);
      events.push(message);
      if (message === "child starting" && ++starts === 3) stop.abort();
      if (backoff_ms !== undefined) events.push(`backoff ${backoff_ms}`);
    },
  });
  await supervise([{ name: "crasher", plan: denoEval("console.log('up'); Deno.exit(3)") }], {
    logger,
    signal: stop.signal,
    backoffMs: 1,
    maxBackoffMs: 4,
    sink: (line) => lines.push(line),
  });
  assertOk(starts === 3);
  assertOk(events.includes("backoff 1") && events.includes("backoff 2"));
  assertOk(lines.filter((l) => JSON.parse(l).message === "up").length >= 2);
  assertOk(lines.every((l) => JSON.parse(l).service === "crasher"));
});

Deno.test("a one-shot child is not restarted, and stop sends SIGTERM to a running child", async () => {
  const stop = new AbortController();
  const lines: string[] = [];
  const done = supervise([
    { name: "once", plan: denoEval("console.log('done')"), restart: false },
    {
      name: "server",
      plan: denoEval(
        "Deno.addSignalListener('SIGTERM', () => { console.log('got SIGTERM'); Deno.exit(0); });" +
          "console.log('ready'); setInterval(() => {}, 1000);",
      ),
    },
  ], {
    logger: quiet,
    signal: stop.signal,
    sink: (line) => {
      lines.push(line);
      const seen = new Set(lines.map((l) => JSON.parse(l).message));
      if (seen.has("ready") && seen.has("done")) stop.abort();
    },
  });
  await done;
  const messages = lines.map((l) => JSON.parse(l).message);
  assertEquals(messages.filter((m) => m === "done").length, 1);
  assertOk(messages.includes("got SIGTERM"));
});
