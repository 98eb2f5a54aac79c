import { assertEquals } from "../testing/assert.ts";
import { createLogger } from "./logger.ts";

Deno.test("each log call writes one JSON object with time, level, service, message and fields", () => {
  const lines: string[] = [];
  const logger = createLogger("rest_service", {
    sink: (line) => lines.push(line),
    now: () => new Date("2026-01-02T03:04:05.000Z"),
  });
  logger.child({ job: 7 }).warn("retrying", { attempt: 2n, error: new Error("boom") });
  assertEquals(lines.length, 1);
  assertEquals(lines[0].includes("\n"), false);
  assertEquals(JSON.parse(lines[0]), {
    time: "2026-01-02T03:04:05.000Z",
    level: "warn",
    service: "rest_service",
    message: "retrying",
    job: 7,
    attempt: "2",
    error: { name: "Error", message: "boom" },
  });
});

Deno.test("lines below the configured level are dropped", () => {
  const lines: string[] = [];
  const logger = createLogger("ws_service", { sink: (l) => lines.push(l), level: "warn" });
  logger.debug("a");
  logger.info("b");
  logger.error("c");
  assertEquals(lines.map((l) => JSON.parse(l).message), ["c"]);
});
