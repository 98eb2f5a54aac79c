import { Buffer } from "node:buffer";
// @ts-types="./_amqplib.d.ts"
import amqp from "amqplib";
import { createLogger } from "../log/mod.ts";
import { assertEquals } from "../testing/assert.ts";
import { rabbitRequirement, testAmqpUrl, testRequiring } from "../testing/requirements.ts";
import { startTcpProxy } from "../testing/tcp_proxy.ts";
import { startJobsConsumer } from "./consumer.ts";
import { JOBS_EXCHANGE, type JobsReady } from "./topology.ts";
import { until } from "../testing/wait.ts";

const rabbit = await rabbitRequirement();

async function publish(bodies: (string | JobsReady)[]): Promise<void> {
  const model = await amqp.connect(testAmqpUrl());
  try {
    const channel = await model.createConfirmChannel();
    await channel.assertExchange(JOBS_EXCHANGE, "fanout", { durable: true });
    for (const body of bodies) {
      const text = typeof body === "string" ? body : JSON.stringify(body);
      channel.publish(JOBS_EXCHANGE, "", Buffer.from(text));
    }
    await channel.waitForConfirms();
  } finally {
    await model.close();
  }
}

const notice = (count: number): JobsReady => ({
  count,
  kinds: ["candles"],
  at: new Date(0).toISOString(),
});

Deno.test(
  testRequiring(rabbit, "notifications reach onReady; malformed ones are dropped", async () => {
    const stop = new AbortController();
    const seen: number[] = [];
    const lines: string[] = [];
    const consumer = startJobsConsumer({
      url: testAmqpUrl(),
      signal: stop.signal,
      logger: createLogger("test", { sink: (l) => lines.push(l) }),
      onReady: (n) => {
        seen.push(n.count);
        return Promise.resolve();
      },
    });
    try {
      await until(() => consumer.connected, "connected");
      await publish(["not json", { count: "x" } as unknown as JobsReady, notice(3), notice(4)]);
      await until(() => seen.length === 2, "two notifications");
      assertEquals(seen, [3, 4]);
      assertEquals(lines.filter((l) => l.includes("malformed jobs-ready")).length, 2);
    } finally {
      stop.abort();
      await consumer.done;
    }
    assertEquals(consumer.connected, false);
  }),
);

Deno.test(
  testRequiring(
    rabbit,
    "the consumer reconnects after the broker goes away and comes back",
    async () => {
      const target = new URL(testAmqpUrl());
      const proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port || 5672) });
      proxy.cut();
      const stop = new AbortController();
      const seen: number[] = [];
      const lines: string[] = [];
      const consumer = startJobsConsumer({
        url: proxy.url(target.href),
        signal: stop.signal,
        logger: createLogger("test", { sink: (l) => lines.push(l) }),
        reconnectDelayMs: () => 20,
        onReady: (n) => {
          seen.push(n.count);
          return Promise.resolve();
        },
      });
      try {
        await until(() => lines.some((l) => l.includes("broker unreachable")), "a failed connect");
        assertEquals(consumer.connected, false);
        proxy.restore();
        await until(() => consumer.connected, "first connection");
        proxy.cut();
        await until(() => !consumer.connected, "the drop to be noticed");
        proxy.restore();
        await until(() => consumer.connections === 2, "reconnection");
        await publish([notice(7)]);
        await until(() => seen.includes(7), "a notification after reconnecting");
      } finally {
        stop.abort();
        await consumer.done;
        await proxy.close();
      }
    },
  ),
);
