import { assertEquals, assertOk } from "../testing/assert.ts";
import { createLogger } from "../log/mod.ts";
import { runService } from "./service.ts";

const quiet = createLogger("test", { sink: () => {} });

Deno.test("an outside abort stops the program, which finishes cleanly within the deadline", async () => {
  const stop = new AbortController();
  let flushed = false;
  const outcome = runService(
    { name: "t", logger: quiet, signal: stop.signal, handleSignals: false },
    async ({ signal }) => {
      await new Promise((resolve) => signal.addEventListener("abort", resolve));
      flushed = true;
    },
  );
  stop.abort();
  assertEquals((await outcome).code, 0);
  assertOk(flushed);
});

Deno.test("a program that ignores the stop signal is cut off at the shutdown deadline", async () => {
  const stop = new AbortController();
  const never = Promise.withResolvers<void>();
  const outcome = runService(
    { name: "t", logger: quiet, signal: stop.signal, handleSignals: false, shutdownMs: 5 },
    () => never.promise,
  );
  stop.abort();
  const result = await outcome;
  never.resolve();
  assertEquals(result.code, 3);
});

Deno.test("a failing program ends with code 1 and its error as the reason", async () => {
  const outcome = await runService(
    { name: "t", logger: quiet, handleSignals: false },
    () => Promise.reject(new Error("database unreachable")),
  );
  assertEquals(outcome, { code: 1, reason: "failed: database unreachable" });
});

Deno.test("the health port serves /healthz and Prometheus /metrics", async () => {
  const stop = new AbortController();
  let body = "";
  let health = 0;
  let unhealthy = 0;
  await runService(
    {
      name: "t",
      logger: quiet,
      signal: stop.signal,
      handleSignals: false,
      port: 0,
      hostname: "127.0.0.1",
    },
    async ({ metrics, healthUrl, setHealthy }) => {
      metrics.counter("kalshi_ticks_total", "ticks written").inc({ channel: "ticker" }, 3);
      const res = await fetch(new URL("healthz", healthUrl));
      health = res.status;
      await res.body?.cancel();
      setHealthy(false, "database down");
      const bad = await fetch(new URL("healthz", healthUrl));
      unhealthy = bad.status;
      await bad.body?.cancel();
      body = await (await fetch(new URL("metrics", healthUrl))).text();
      stop.abort();
    },
  );
  assertEquals(health, 200);
  assertEquals(unhealthy, 503);
  assertOk(body.includes("# TYPE kalshi_ticks_total counter"));
  assertOk(body.includes('kalshi_ticks_total{channel="ticker"} 3'));
});

Deno.test("/readyz answers 200 while every check passes and 503 with the reasons otherwise", async () => {
  const stop = new AbortController();
  const statuses: number[] = [];
  let failing: { reasons: string[]; ready: boolean } | undefined;
  let metricsText = "";
  await runService(
    {
      name: "t",
      logger: quiet,
      signal: stop.signal,
      handleSignals: false,
      port: 0,
      hostname: "127.0.0.1",
    },
    async ({ healthUrl, readiness }) => {
      let fresh = true;
      readiness.add("fresh", () => fresh ? { ok: true } : { ok: false, reason: "stale by 5m" });
      let res = await fetch(new URL("readyz", healthUrl));
      statuses.push(res.status);
      await res.body?.cancel();
      fresh = false;
      res = await fetch(new URL("readyz", healthUrl));
      statuses.push(res.status);
      failing = await res.json();
      res = await fetch(new URL("healthz", healthUrl));
      statuses.push(res.status); // liveness is unaffected
      await res.body?.cancel();
      fresh = true;
      res = await fetch(new URL("readyz", healthUrl));
      statuses.push(res.status);
      await res.body?.cancel();
      metricsText = await (await fetch(new URL("metrics", healthUrl))).text();
      stop.abort();
    },
  );
  assertEquals(statuses, [200, 503, 200, 200]);
  assertEquals(failing?.ready, false);
  assertEquals(failing?.reasons, ["fresh: stale by 5m"]);
  assertOk(metricsText.includes("service_ready 1"), metricsText);
});
