/** The portal's database access cannot write, whichever way it logs in. */
import postgres from "postgres";
import { assertEquals, assertOk, assertRejects } from "../lib/testing/assert.ts";
import { createPool } from "@kalshi-data/lib/db";
import { loadMarket } from "./data/market.ts";
import { cancellableQuery } from "./data/transaction.ts";
import { createReaderPool, readerUrl } from "./db.ts";
import { createPortalFixture } from "./testing/portal.ts";
import { SEED } from "./testing/seed.ts";
import { createPortalApp } from "./app.ts";
import { createLogger } from "@kalshi-data/lib/log";
import { startTcpProxy } from "../lib/testing/tcp_proxy.ts";
import { until } from "../lib/testing/wait.ts";

const WRITES = [
  "INSERT INTO series (ticker, raw) VALUES ('HACK', '{}')",
  "UPDATE markets SET status = 'hacked'",
  "DELETE FROM candles",
  "TRUNCATE ticks",
  "CREATE TABLE hack (a int)",
  "SELECT ensure_tick_partitions(now(), 1)",
];

async function assertCannotWrite(sql: postgres.Sql) {
  for (const statement of WRITES) {
    await assertRejects(() => sql.unsafe(statement), postgres.PostgresError);
  }
}

Deno.test("readerUrl keeps existing startup options and adds the role switch and timeouts", () => {
  const url = new URL(
    readerUrl("postgres://u:p@db:5432/k?sslmode=require&options=-c%20search_path%3Dpublic"),
  );
  assertEquals(url.searchParams.get("sslmode"), "require");
  assertEquals(
    url.searchParams.get("options"),
    "-c search_path=public -c role=kalshi_reader -c default_transaction_read_only=on " +
      "-c statement_timeout=30000 -c idle_in_transaction_session_timeout=60000",
  );
});

Deno.test("every reader connection carries statement and idle-in-transaction timeouts", async () => {
  const f = await createPortalFixture({ seed: false });
  const sql = createReaderPool(f.db.url, {
    max: 1,
    timeouts: { statementTimeoutMs: 200, idleInTransactionTimeoutMs: 1000 },
  });
  try {
    const [settings] = await sql`
      SELECT current_setting('statement_timeout') AS statement,
             current_setting('idle_in_transaction_session_timeout') AS idle`;
    assertEquals(settings, { statement: "200ms", idle: "1s" });
    const slow = await assertRejects(() => sql`SELECT pg_sleep(5)`, postgres.PostgresError);
    assertEquals(slow.code, "57014", "the server cancels a statement over the limit");
    // A transaction left open: the server ends the session (its own timer, not the test's). The
    // callback never settles: postgres.js must send nothing on a connection that died.
    let ended: Error | undefined;
    sql.begin(async (tx) => {
      await tx`SELECT 1`;
      await new Promise<never>(() => {});
    }).catch((error: Error) => ended = error);
    await until(() => ended !== undefined, "the server to end the idle transaction's session");
    assertOk(/CONNECTION|ECONNRESET|idle-in-transaction/i.test(ended!.message), ended!.message);
    assertEquals((await sql`SELECT 1 AS one`)[0].one, 1, "the pool reconnects");
  } finally {
    await sql.end({ timeout: 1 });
    await f.close();
  }
});

Deno.test("the portal role cannot write, whatever the connection or request", async (t) => {
  const f = await createPortalFixture({ seedOptions: { bulkMarkets: 0 } });
  const login = `kt_portal_${crypto.randomUUID().slice(0, 8)}`;
  try {
    await t.step(
      "given only DATABASE_URL (a superuser), every connection is kalshi_reader",
      async () => {
        const [who] = await f
          .reader`SELECT current_user AS role, current_setting('transaction_read_only') AS ro`;
        assertEquals(who, { role: "kalshi_reader", ro: "on" });
        await assertCannotWrite(f.reader);
      },
    );

    await t.step("turning read-only transactions off still leaves no write privilege", async () => {
      const sql = createReaderPool(f.db.url, { max: 1 });
      try {
        await sql`SET default_transaction_read_only = off`;
        const error = await assertRejects(
          () => sql.unsafe("INSERT INTO series (ticker, raw) VALUES ('HACK', '{}')"),
          postgres.PostgresError,
        );
        assertOk(error.message.includes("permission denied"), error.message);
      } finally {
        await sql.end();
      }
    });

    await t.step(
      "a PORTAL_DATABASE_URL login that is a member of kalshi_reader cannot write",
      async () => {
        // A password too, so the login works on servers with password auth (the embedded one).
        const password = crypto.randomUUID();
        await f.db.sql.unsafe(
          `CREATE ROLE ${login} LOGIN PASSWORD '${password}' IN ROLE kalshi_reader`,
        );
        const url = new URL(f.db.url);
        url.username = login;
        url.password = password;
        const sql = createReaderPool(url.toString(), { max: 1 });
        try {
          const [who] = await sql`SELECT session_user AS login, current_user AS role`;
          assertEquals(who, { login, role: "kalshi_reader" });
          assertEquals((await sql`SELECT count(*)::int AS n FROM markets`)[0].n, 8);
          await assertCannotWrite(sql);
        } finally {
          await sql.end();
        }
        const plain = createPool(url.toString(), { max: 1 });
        try {
          await assertRejects(() => plain.unsafe(WRITES[0]), postgres.PostgresError);
        } finally {
          await plain.end();
        }
      },
    );

    await t.step("no request changes the data", async () => {
      const before = await f.db.sql`
        SELECT (SELECT count(*) FROM markets)::int AS markets, (SELECT count(*) FROM candles)::int AS candles,
               (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')::int AS tables`;
      for (const method of ["GET", "POST", "PUT", "DELETE", "PATCH"]) {
        for (
          const path of [
            "/",
            "/api/browse?q=x%27;DELETE%20FROM%20markets;--",
            "/markets/X",
            "/api/markets/X/candles",
          ]
        ) {
          const res = await f.app.request(path, {
            method,
            body: method === "GET" ? undefined : "DROP TABLE markets",
          });
          await res.body?.cancel();
          if (method !== "GET") assertEquals(res.status, 404, `${method} ${path}`);
        }
      }
      const after = await f.db.sql`
        SELECT (SELECT count(*) FROM markets)::int AS markets, (SELECT count(*) FROM candles)::int AS candles,
               (SELECT count(*) FROM pg_tables WHERE schemaname = 'public')::int AS tables`;
      assertEquals(after, before);
    });
  } finally {
    await f.close();
    const admin = createPool(f.db.url.replace(/\/[^/?]+(\?|$)/, "/postgres$1"), { max: 1 });
    try {
      await admin.unsafe(`DROP ROLE IF EXISTS ${login}`);
    } finally {
      await admin.end();
    }
  }
});

Deno.test("/readyz answers 503 with a reason while the database is unreachable, and 200 again after", async () => {
  const f = await createPortalFixture({ seed: false });
  const target = new URL(f.db.url);
  const proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port) });
  const reader = createReaderPool(proxy.url(f.db.url), { max: 2 });
  try {
    const app = createPortalApp(reader, {
      assets: f.assets,
      logger: createLogger("t", { sink: () => {} }),
    });
    const ready = await app.request("/readyz");
    assertEquals(ready.status, 200);
    assertEquals((await ready.json()).ready, true);
    proxy.cut();
    const down = await app.request("/readyz");
    assertEquals(down.status, 503);
    assertEquals(down.headers.get("cache-control"), "no-store");
    const body = await down.json();
    assertEquals([body.ready, body.reasons], [false, ["database: database unreachable"]]);
    proxy.restore();
    assertEquals((await app.request("/readyz")).status, 200);
  } finally {
    await reader.end({ timeout: 1 });
    await proxy.close();
    await f.close();
  }
});

Deno.test("the market page's statement settles on one generic plan instead of planning each run", async () => {
  // A parameter in a LIMIT (or anything the generic plan cannot price) keeps PostgreSQL planning
  // the statement afresh on every page: ~0.4 ms of server CPU per page at 10 M rows.
  const f = await createPortalFixture();
  // Enough ticks across the daily partitions for the planner to price them as it does in use.
  await f.db
    .sql`INSERT INTO ticks (market_ticker, ts, price, yes_bid, yes_ask, volume, open_interest)
    SELECT ${SEED.activeMarket}, now() - make_interval(secs => i * 20), 0.5, 0.49, 0.51, i, 10
    FROM generate_series(1, 30000) i`;
  await f.db.sql`ANALYZE ticks`;
  const held = await f.reader.reserve();
  try {
    for (let i = 0; i < 8; i++) {
      assertOk(await loadMarket(held, SEED.activeMarket, { now: new Date() }));
    }
    const [plans] = await held<{ generic: number; custom: number }[]>`
      SELECT generic_plans::int AS generic, custom_plans::int AS custom
      FROM pg_prepared_statements WHERE statement LIKE '%AS portal' || '_detail%'`;
    assertOk(plans && plans.generic >= 2, `plans: ${JSON.stringify(plans)}`);
  } finally {
    held.release();
    await f.close();
  }
});

Deno.test("a statement cancelled mid-answer leaves its connection fit for the next statement", async () => {
  // postgres.js 3.4.9 resets a connection's row counter only when a statement completes, so the
  // cancelled statement must end inside a transaction whose ROLLBACK completes normally; handed
  // straight back, the next statement on it (anyone's) read holes in its rows.
  const f = await createPortalFixture({ seed: false });
  const sql = createReaderPool(f.db.url, { max: 1 });
  try {
    const abort = new AbortController();
    const cancelled = cancellableQuery(
      sql,
      abort.signal,
      (q) => q`SELECT i, CASE WHEN i = 3 THEN pg_sleep(30) END AS s FROM generate_series(1, 5) i`,
    );
    await until(async () => {
      const [{ n }] = await f.db.sql<{ n: number }[]>`SELECT count(*)::int AS n
        FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND datname = ${f.db.name}`;
      return n === 1;
    }, "the statement to be mid-answer");
    abort.abort();
    await assertRejects(() => cancelled, postgres.PostgresError);
    const next = await sql`SELECT 42 AS answer`;
    assertEquals([...next], [{ answer: 42 }]);
    assertEquals(next.count, 1);
  } finally {
    await sql.end({ timeout: 1 });
    await f.close();
  }
});
