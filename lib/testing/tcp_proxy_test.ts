import postgres from "postgres";
import { assertEquals, assertOk, assertRejects } from "./assert.ts";
import { startTcpProxy } from "./tcp_proxy.ts";
import { createTestDatabase } from "../db/testing/database.ts";

Deno.test("a cut proxy drops live PostgreSQL connections and refuses new ones until restored", async () => {
  const db = await createTestDatabase({ migrate: false });
  const target = new URL(db.url);
  const proxy = startTcpProxy({ hostname: target.hostname, port: Number(target.port || 5432) });
  const sql = postgres(proxy.url(db.url), { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    assertEquals((await sql`SELECT 1 AS one`)[0].one, 1);
    proxy.cut();
    await assertRejects(() => sql`SELECT 1`, Error);
    proxy.restore();
    assertEquals((await sql`SELECT 2 AS two`)[0].two, 2);
    assertOk(proxy.accepted >= 2);
  } finally {
    await sql.end({ timeout: 1 });
    await proxy.close();
    await db.drop();
  }
});
