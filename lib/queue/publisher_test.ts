// @ts-types="./_amqplib.d.ts"
import amqp from "amqplib";
import { createTestDatabase } from "../db/testing/database.ts";
import { scheduleDueBackfill } from "../backfill/mod.ts";
import { createLogger } from "../log/mod.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { rabbitRequirement, testAmqpUrl, testRequiring } from "../testing/requirements.ts";
import { startTcpProxy } from "../testing/tcp_proxy.ts";
import { createJobsPublisher } from "./publisher.ts";
import { type JobsReady, jobsReadySchema } from "./topology.ts";
import { until } from "../testing/wait.ts";

const rabbit = await rabbitRequirement();

/** A queue bound to the jobs exchange, as a worker binds one, collecting what arrives. */
async function listen(
  exchange: string,
): Promise<{ received: JobsReady[]; close(): Promise<void> }> {
  const model = await amqp.connect(testAmqpUrl());
  const channel = await model.createChannel();
  await channel.assertExchange(exchange, "fanout", { durable: true });
  const { queue } = await channel.assertQueue("", { exclusive: true, autoDelete: true });
  await channel.bindQueue(queue, exchange, "");
  const received: JobsReady[] = [];
  await channel.consume(queue, (message) => {
    if (!message) return;
    received.push(jobsReadySchema.parse(JSON.parse(new TextDecoder().decode(message.content))));
    channel.ack(message);
  });
  return {
    received,
    close: async () => {
      await channel.deleteExchange(exchange);
      await model.close();
    },
  };
}

function collectingLogger() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("publisher_test", { sink: (l) => lines.push(JSON.parse(l)) });
  return { lines, logger };
}

Deno.test(
  testRequiring(
    rabbit,
    "a JobsReady notification arrives on a queue bound to the jobs exchange",
    async () => {
      const exchange = `kalshi.test.${crypto.randomUUID()}`;
      const queue = await listen(exchange);
      const { logger } = collectingLogger();
      const at = new Date("2026-03-01T12:00:00Z");
      const publisher = createJobsPublisher(testAmqpUrl(), { logger, now: () => at, exchange });
      try {
        assertEquals(await publisher.publish({ count: 7, kinds: ["candles", "trades"] }), true);
        await until(() => queue.received.length === 1, "the notification");
        assertEquals(queue.received[0], {
          count: 7,
          kinds: ["candles", "trades"],
          at: "2026-03-01T12:00:00.000Z",
        });
        assertEquals({ ...publisher.stats }, { sent: 1, failed: 0 });
      } finally {
        await publisher.close();
        await queue.close();
      }
    },
  ),
);

Deno.test("without a URL every publish resolves false and nothing is logged", async () => {
  const { lines, logger } = collectingLogger();
  const publisher = createJobsPublisher(undefined, { logger });
  assertEquals(await publisher.publish({ count: 1, kinds: ["candles"] }), false);
  assertEquals(lines.length, 0);
  await publisher.close();
});

Deno.test(
  testRequiring(
    rabbit,
    "an unreachable broker is logged, never thrown into the scheduler, and the publisher reconnects after restore",
    async () => {
      const target = new URL(testAmqpUrl());
      const proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port || 5672) });
      const db = await createTestDatabase();
      const exchange = `kalshi.test.${crypto.randomUUID()}`;
      const queue = await listen(exchange);
      const { lines, logger } = collectingLogger();
      const publisher = createJobsPublisher(proxy.url(testAmqpUrl()), {
        logger,
        timeoutMs: 2000,
        exchange,
      });
      try {
        assertEquals(await publisher.publish({ count: 1, kinds: ["candles"] }), true);
        await until(() => queue.received.length === 1, "the first notification");

        proxy.cut();
        // The scheduler publishes after each batch; with the broker gone it still finishes and
        // every job is in the table (the truth), one batch per market here.
        const now = Date.parse("2026-03-01T12:00:00Z");
        await db.sql`
          INSERT INTO markets (ticker, event_ticker, status, open_time, close_time, raw)
          SELECT 'KXPUB-' || i, 'KXPUB', 'finalized', ${new Date(now - 3 * 86_400_000)},
            ${new Date(now - 86_400_000)}, '{}'::jsonb
          FROM generate_series(1, 3) AS i`;
        const results: boolean[] = [];
        const scheduled = await scheduleDueBackfill(db.sql, {
          now,
          cutoff: null,
          batchSize: 1,
          onBatch: async (batch) => {
            results.push(
              await publisher.publish({ count: batch.inserted, kinds: Object.keys(batch.kinds) }),
            );
          },
        });
        assertEquals(results, [false, false, false]);
        const [{ jobs }] = await db.sql<{ jobs: number }[]>`
          SELECT count(*)::int AS jobs FROM backfill_jobs`;
        assertOk(jobs > 0 && jobs === scheduled.inserted, `${jobs} jobs in the table`);
        const warnings = lines.filter((l) => l.level === "warn");
        assertEquals(warnings.length, 3);
        assertEquals(
          warnings[0].message,
          "jobs-ready notification not published (workers will poll)",
        );
        assertOk(typeof warnings[0].error === "string" && warnings[0].error !== "");
        assertEquals(publisher.stats.failed, 3);

        proxy.restore();
        const accepted = proxy.accepted;
        assertEquals(await publisher.publish({ count: 9, kinds: ["trades"] }), true);
        assertOk(proxy.accepted > accepted, "a new connection was opened");
        await until(() => queue.received.some((r) => r.count === 9), "the notification after");
        assertEquals(queue.received.map((r) => r.count), [1, 9]);
        assertEquals({ ...publisher.stats }, { sent: 2, failed: 3 });
      } finally {
        await publisher.close();
        await queue.close();
        await proxy.close();
        await db.drop();
      }
    },
  ),
);

Deno.test("a broker that accepts but never answers costs one timeout, not a stuck scheduler", async () => {
  // A listener that takes the connection and says nothing (a black-holed broker).
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })().catch(() => {});
  const { lines, logger } = collectingLogger();
  const port = (listener.addr as Deno.NetAddr).port;
  const publisher = createJobsPublisher(`amqp://guest:guest@127.0.0.1:${port}`, {
    logger,
    timeoutMs: 200,
  });
  try {
    assertEquals(await publisher.publish({ count: 1, kinds: ["candles"] }), false);
    assertEquals(lines.filter((l) => l.level === "warn").length, 1);
    assertEquals(publisher.stats.failed, 1);
  } finally {
    await publisher.close();
    listener.close();
    for (const conn of held) {
      try {
        conn.close();
      } catch { /* closed by the client */ }
    }
    await accepting;
  }
});

/** A proxy that can go silent: bytes are swallowed while frozen, connections stay open. */
function startFreezableProxy(target: { hostname: string; port: number }) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  let frozen = false;
  const pump = async (from: Deno.Conn, to: Deno.Conn) => {
    const writer = to.writable.getWriter();
    try {
      for await (const chunk of from.readable) if (!frozen) await writer.write(chunk);
    } catch { /* closed */ }
    for (const c of [from, to]) {
      try {
        c.close();
      } catch { /* closed */ }
    }
  };
  const accepting = (async () => {
    for await (const client of listener) {
      const upstream = await Deno.connect(target);
      conns.add(client).add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  })().catch(() => {});
  return {
    url: `amqp://guest:guest@127.0.0.1:${(listener.addr as Deno.NetAddr).port}`,
    freeze: (value: boolean) => (frozen = value),
    async close() {
      listener.close();
      for (const c of conns) {
        try {
          c.close();
        } catch { /* closed */ }
      }
      await accepting;
    },
  };
}

Deno.test(
  testRequiring(
    rabbit,
    "a broker that goes silent on an open connection fails one publish at its deadline; the next one reconnects",
    async () => {
      const target = new URL(testAmqpUrl());
      const proxy = startFreezableProxy({
        hostname: target.hostname,
        port: Number(target.port || 5672),
      });
      const exchange = `kalshi.test.${crypto.randomUUID()}`;
      const queue = await listen(exchange);
      const { lines, logger } = collectingLogger();
      const publisher = createJobsPublisher(proxy.url, { logger, timeoutMs: 2000, exchange });
      try {
        assertEquals(await publisher.publish({ count: 1, kinds: ["candles"] }), true);
        proxy.freeze(true);
        assertEquals(await publisher.publish({ count: 2, kinds: ["candles"] }), false);
        assertOk(
          String(lines.find((l) => l.level === "warn")?.error).includes("no confirm"),
          JSON.stringify(lines),
        );
        proxy.freeze(false);
        assertEquals(await publisher.publish({ count: 3, kinds: ["candles"] }), true);
        await until(() => queue.received.some((r) => r.count === 3), "the third notification");
        assertEquals({ ...publisher.stats }, { sent: 2, failed: 1 });
      } finally {
        await publisher.close();
        await queue.close();
        await proxy.close();
      }
    },
  ),
);
