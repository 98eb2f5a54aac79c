import { assertEquals, assertOk, assertThrows } from "../testing/assert.ts";
import {
  createPool,
  DatabaseUrlError,
  maskDatabaseUrl,
  parseDatabaseUrl,
  tlsOptionsFor,
} from "./pool.ts";
import { withTestDatabase } from "./testing.ts";

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
