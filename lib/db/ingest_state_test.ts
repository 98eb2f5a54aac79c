import { assertEquals, assertOk, assertRejects } from "../testing/assert.ts";
import postgres from "postgres";
import { z } from "zod";
import {
  getIngestState,
  INGEST_STATE_SCHEMAS,
  IngestStateError,
  type IngestStateKey,
  listIngestState,
  setIngestState,
} from "./ingest_state.ts";
import { withTestDatabase } from "./testing/database.ts";

Deno.test("the SQL CHECK on ingest_state.key lists exactly the keys defined in TypeScript", async () => {
  await withTestDatabase(async ({ sql }) => {
    const [{ def }] = await sql`
      SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint
      WHERE conrelid = 'ingest_state'::regclass AND contype = 'c'`;
    const sqlKeys = [...String(def).matchAll(/'([^']+)'::text/g)].map((m) => m[1]).sort();
    assertEquals(sqlKeys, Object.keys(INGEST_STATE_SCHEMAS).sort());
  });
});

Deno.test("a value set under a key reads back, per scope, and overwrites on the next set", async () => {
  await withTestDatabase(async ({ sql }) => {
    assertEquals(await getIngestState(sql, "historical.cutoff"), undefined);
    await setIngestState(sql, {
      key: "candles.high_water",
      scope: "KXFED-26DEC-T4.00:60",
      value: { endPeriodTs: "2026-11-01T00:00:00Z" },
    });
    await setIngestState(sql, {
      key: "candles.high_water",
      scope: "KXFED-26DEC-T4.00:1",
      value: { endPeriodTs: "2026-11-02T00:00:00Z" },
    });
    await setIngestState(sql, {
      key: "candles.high_water",
      scope: "KXFED-26DEC-T4.00:60",
      value: { endPeriodTs: "2026-11-03T00:00:00Z" },
    });
    assertEquals(
      await getIngestState(sql, "candles.high_water", { scope: "KXFED-26DEC-T4.00:60" }),
      { endPeriodTs: "2026-11-03T00:00:00Z" },
    );
    const all = await listIngestState(sql, "candles.high_water");
    assertEquals([...all.keys()], ["KXFED-26DEC-T4.00:1", "KXFED-26DEC-T4.00:60"]);
  });
});

Deno.test("every defined key can be stored", async () => {
  await withTestDatabase(async ({ sql }) => {
    const at = "2026-11-25T00:00:00Z";
    const samples: { [K in IngestStateKey]: z.infer<(typeof INGEST_STATE_SCHEMAS)[K]> } = {
      "discovery.series_synced": { at, minUpdatedTs: 1764000000 },
      "discovery.events_synced": { at },
      "discovery.markets_synced": { at },
      "discovery.walk": { cursor: "bS4xMjM", pages: 3, items: 3000, startedAt: at },
      "historical.cutoff": { marketSettledTs: at, tradesCreatedTs: at, fetchedAt: at },
      "candles.high_water": { endPeriodTs: at },
      "trades.high_water": { createdTime: at },
      "backfill.scheduled": { candles1: 1764000000, trades: 1764000000 },
      "ws.session": { sessionId: "s1", connectedAt: at },
      "coverage.audited_through": { through: at },
    };
    for (const key of Object.keys(INGEST_STATE_SCHEMAS) as IngestStateKey[]) {
      await setIngestState(sql, { key, value: samples[key] as never });
      assertEquals(await getIngestState(sql, key), samples[key]);
    }
  });
});

Deno.test("an invalid value is refused before it reaches the database", async () => {
  await withTestDatabase(async ({ sql }) => {
    await assertRejects(
      () =>
        setIngestState(sql, {
          key: "trades.high_water",
          value: { createdTime: "yesterday" },
        }),
      z.ZodError,
    );
    const [{ n }] = await sql`SELECT count(*)::int AS n FROM ingest_state`;
    assertEquals(n, 0);
  });
});

Deno.test("an unknown key is refused by the database and a corrupt value on read", async () => {
  await withTestDatabase(async ({ sql }) => {
    const error = await assertRejects(
      () => sql`INSERT INTO ingest_state (key, value) VALUES ('made.up', '{}')`,
      postgres.PostgresError,
    );
    assertEquals(error.code, "23514");
    await sql`INSERT INTO ingest_state (key, value) VALUES ('historical.cutoff', '{"x":1}')`;
    const corrupt = await assertRejects(
      () => getIngestState(sql, "historical.cutoff"),
      IngestStateError,
    );
    assertOk(corrupt.message.includes("historical.cutoff"));
  });
});
