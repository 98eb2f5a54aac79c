import { withTestDatabase } from "../db/testing/database.ts";
import { createLogger } from "../log/mod.ts";
import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import { createCapturePipeline } from "./pipeline.ts";
import { openSpool, SpoolLockedError } from "./spool.ts";
import { T0, tick, tickBatch } from "./testing/rows.ts";

const quiet = createLogger("spool_test", { sink: () => {} });

/** Appends that write only the first half of the bytes, then fail like a full disk, when `torn`. */
function diskThatTears() {
  const state = { torn: false, calls: 0 };
  const appendFile = async (path: string, data: Uint8Array) => {
    state.calls++;
    if (!state.torn) return void await Deno.writeFile(path, data, { append: true });
    await Deno.writeFile(path, data.subarray(0, Math.floor(data.length / 2)), { append: true });
    throw new Deno.errors.WriteZero("No space left on device (os error 28)");
  };
  return { state, appendFile };
}

Deno.test("a torn append never swallows later batches; at replay it is a recorded gap and the rest lands", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spool_torn_" });
  try {
    const disk = diskThatTears();
    const spool = await openSpool(dir, { appendFile: disk.appendFile });
    await spool.append([tickBatch("s:1", [tick(1), tick(2)])]);
    disk.state.torn = true;
    await assertRejects(
      () => spool.append([tickBatch("s:2", [tick(10), tick(11)])]),
      Deno.errors.WriteZero,
    );
    disk.state.torn = false;
    await spool.append([tickBatch("s:3", [tick(20)]), tickBatch("s:4", [tick(30)])]);
    await spool.close();

    // The next start: a pipeline replays the spool into the database.
    const corrupt: string[] = [];
    await withTestDatabase(async ({ sql }) => {
      const reopened = await openSpool(dir, {
        onCorruptLine: (segment, line) => corrupt.push(`${segment}:${line}`),
      });
      const pipe = createCapturePipeline({
        sql,
        spool: reopened,
        logger: quiet,
        instance: "t",
        sessionId: "s2",
      });
      await pipe.drained();
      await pipe.stop();
      await reopened.close();
      const ticks = await sql<{ ms: string }[]>`
        SELECT (extract(epoch FROM ts) * 1000 - ${T0})::int::text AS ms FROM ticks ORDER BY ts`;
      assertEquals(ticks.map((t) => Number(t.ms)), [1, 2, 20, 30], "all but the torn batch");
      const [gap] = await sql`SELECT channel, market_tickers, gap_start, gap_end, reason, detail
        FROM capture_gaps`;
      assertEquals([gap.channel, gap.market_tickers, gap.reason], ["all", null, "spool_torn"]);
      assertEquals([gap.gap_start.getTime(), gap.gap_end.getTime()], [T0 + 2, T0 + 20]);
      assertEquals(corrupt.length, 1);
      assertEquals(gap.detail.segment + ":" + gap.detail.line, corrupt[0]);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a second owner of a spool folder is refused with a clear error until the first closes", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spool_lock_" });
  try {
    const first = await openSpool(dir);
    const error = await assertRejects(() => openSpool(dir), SpoolLockedError);
    assertOk(error.message.includes(dir) && error.message.includes("WS_SPOOL_DIR"), error.message);
    await first.close();
    const second = await openSpool(dir);
    await second.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a spool left by a killed process is taken over (the kernel released its lock)", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spool_killed_" });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `
        import { openSpool } from "${new URL("./spool.ts", import.meta.url).href}";
        await openSpool(${JSON.stringify(dir)});
        console.log("locked");
        setInterval(() => {}, 1000);`,
      ],
      stdout: "piped",
    }).spawn();
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    assertEquals((await reader.read()).value?.trim(), "locked");
    await assertRejects(() => openSpool(dir), SpoolLockedError);
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel().catch(() => {});
    const spool = await openSpool(dir);
    await spool.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("fsync is on by default and can be relaxed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "spool_fsync_" });
  try {
    const seen: boolean[] = [];
    const appendFile = (path: string, data: Uint8Array, fsync: boolean) => {
      seen.push(fsync);
      return Deno.writeFile(path, data, { append: true });
    };
    const a = await openSpool(dir, { appendFile });
    await a.append([tickBatch("s:1", [tick(1)])]);
    await a.close();
    const b = await openSpool(dir, { appendFile, fsync: false });
    await b.append([tickBatch("s:2", [tick(2)])]);
    await b.close();
    assertEquals(seen, [true, false]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
