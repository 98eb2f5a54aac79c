import { assertEquals, assertOk, assertRejects, assertThrows } from "../testing/assert.ts";
import {
  createPool,
  DatabaseUrlError,
  maskDatabaseUrl,
  parseDatabaseUrl,
  tlsOptionsFor,
} from "./pool.ts";
import { withTestDatabase } from "./testing/database.ts";

Deno.test("a database URL is parsed into explicit settings, extra parameters kept", () => {
  const s = parseDatabaseUrl(
    "postgresql://svc:p%40ss@db.example.com:6543/kalshi?sslmode=verify-full&sslrootcert=/ca.pem&options=-c%20statement_timeout%3D5000",
  );
  assertEquals(s, {
    host: "db.example.com",
    port: 6543,
    user: "svc",
    password: "p@ss",
    database: "kalshi",
    sslMode: "verify-full",
    sslRootCert: "/ca.pem",
    parameters: { options: "-c statement_timeout=5000" },
  });
});

Deno.test("sslmode and the CA file fall back to PGSSLMODE and PGSSLROOTCERT", () => {
  const s = parseDatabaseUrl("postgres://u@h/db", {
    PGSSLMODE: "require",
    PGSSLROOTCERT: "/etc/ca.pem",
  });
  assertEquals([s.sslMode, s.sslRootCert, s.port, s.password], [
    "require",
    "/etc/ca.pem",
    5432,
    undefined,
  ]);
});

Deno.test("a bad URL or sslmode is refused without echoing the password", () => {
  const error = assertThrows(
    () => parseDatabaseUrl("postgres://u:secret@h/db?sslmode=sometimes"),
    DatabaseUrlError,
  );
  assertOk(!error.message.includes("secret"), error.message);
  assertOk(error.message.includes("sslmode"));
  assertThrows(() => parseDatabaseUrl("mysql://u@h/db"), DatabaseUrlError);
  assertEquals(maskDatabaseUrl("postgres://u:secret@h:1/db"), "postgres://u:***@h:1/db");
});

Deno.test("sslmodes map to TLS options like libpq: require encrypts, verify-* check the CA", () => {
  const read = (path: string) => `CA from ${path}`;
  const base = { host: "db.example.com", sslRootCert: undefined };
  assertEquals(tlsOptionsFor({ ...base, sslMode: "disable" }, read), false);
  assertEquals(tlsOptionsFor({ ...base, sslMode: "prefer" }, read), "prefer");
  assertEquals(tlsOptionsFor({ ...base, sslMode: "require" }, read), { rejectUnauthorized: false });
  const requireWithCa = tlsOptionsFor(
    { ...base, sslMode: "require", sslRootCert: "/ca.pem" },
    read,
  ) as Record<string, unknown>;
  assertEquals([requireWithCa.ca, requireWithCa.rejectUnauthorized], ["CA from /ca.pem", true]);
  assertEquals(
    tlsOptionsFor({ ...base, sslMode: "verify-full", sslRootCert: "/ca.pem" }, read),
    { ca: "CA from /ca.pem", rejectUnauthorized: true, servername: "db.example.com" },
  );
  assertEquals(
    tlsOptionsFor({ ...base, sslMode: "verify-full", sslRootCert: "system" }, read),
    { rejectUnauthorized: true, servername: "db.example.com" },
  );
  // An IP address is not a valid TLS server name (node:tls throws); the IP is verified instead.
  assertEquals(
    tlsOptionsFor(
      { ...base, host: "10.0.0.5", sslMode: "verify-full", sslRootCert: "system" },
      read,
    ),
    { rejectUnauthorized: true },
  );
});

Deno.test("numeric arrives as a string, bigint as a string, timestamptz as a Date", async () => {
  await withTestDatabase(async ({ url }) => {
    const sql = createPool(url, { max: 1 });
    try {
      const [row] = await sql`
        SELECT 0.5600::numeric AS price, 123456789012345678::bigint AS big,
               '2026-03-12T01:02:03.456Z'::timestamptz AS at, '{"a":[1]}'::jsonb AS doc,
               7::integer AS small`;
      assertEquals(row.price, "0.5600");
      assertEquals(row.big, "123456789012345678");
      assertOk(row.at instanceof Date);
      assertEquals(row.at.toISOString(), "2026-03-12T01:02:03.456Z");
      assertEquals(row.doc, { a: [1] });
      assertEquals(row.small, 7);
      const [app] = await sql`SELECT current_setting('application_name') AS name`;
      assertEquals(app.name, "kalshi-data");
    } finally {
      await sql.end();
    }
  }, { migrate: false });
});

/** Accepts TCP connections and never answers; holds them until closed. */
function startSilentServer(): { port: number; accepted(): number; close(): void } {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const held: Deno.Conn[] = [];
  (async () => {
    for await (const conn of listener) held.push(conn);
  })().catch(() => {});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    accepted: () => held.length,
    close() {
      listener.close();
      for (const conn of held) {
        try {
          conn.close();
        } catch { /* the client already went away */ }
      }
    },
  };
}

function refusedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("a server that accepts TCP but never answers fails the query at connect_timeout", async () => {
  const server = startSilentServer();
  const sql = createPool(`postgres://u@127.0.0.1:${server.port}/db`, {
    max: 1,
    connectTimeoutSeconds: 0.05,
    env: {},
  });
  try {
    // Twice on a one-connection pool: a timed-out connection goes back to the pool.
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await assertRejects(() => sql`SELECT 1`, Error);
      assertEquals((error as Error & { code?: string }).code, "CONNECT_TIMEOUT");
    }
    assertOk(server.accepted() >= 2, `accepted ${server.accepted()}`);
  } finally {
    await sql.end();
    server.close();
  }
});

Deno.test("a refused port fails the query, and the pool keeps trying on later queries", async () => {
  const sql = createPool(`postgres://u@127.0.0.1:${refusedPort()}/db`, { max: 1, env: {} });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await assertRejects(() => sql`SELECT 1`, Error);
      assertEquals((error as Error & { code?: string }).code, "ECONNREFUSED");
    }
  } finally {
    await sql.end();
  }
});

Deno.test("COPY, a pipelined burst and a cancel request all work over the pool's sockets", async () => {
  await withTestDatabase(async ({ url }) => {
    const sql = createPool(url, { max: 2 });
    try {
      await sql`CREATE TABLE t (a integer, b text)`;
      for (let batch = 0; batch < 3; batch++) {
        const stream = await sql`COPY t (a, b) FROM STDIN`.writable();
        await new Promise<void>((resolve, reject) => {
          stream.once("finish", resolve);
          stream.once("error", reject);
          stream.end(`${batch}\tcopied\n`);
        });
      }
      await sql.begin((tx) =>
        Array.from({ length: 50 }, (_, i) => tx`INSERT INTO t VALUES (${i}, 'piped')`)
      );
      const counts = await sql`SELECT b, count(*)::integer AS n FROM t GROUP BY b ORDER BY b`;
      assertEquals(counts.map((r) => [r.b, r.n]), [["copied", 3], ["piped", 50]]);

      const sleeping = sql`SELECT pg_sleep(60)`.execute();
      const [{ pid }] = await sql`SELECT pg_backend_pid() AS pid`; // the other connection
      let started = false;
      while (!started) {
        const rows = await sql`
          SELECT 1 FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> ${pid} AND query LIKE 'SELECT pg_sleep%'`;
        started = rows.length > 0;
      }
      sleeping.cancel();
      const error = await assertRejects(() => sleeping, Error);
      assertEquals((error as Error & { code?: string }).code, "57014");
    } finally {
      await sql.end();
    }
  }, { migrate: false });
});
