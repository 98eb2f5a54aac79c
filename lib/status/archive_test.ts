import { parseCommandLine } from "../config/mod.ts";
import { statusCommand } from "../commands/mod.ts";
import { withTestDatabase } from "../db/testing/database.ts";
import { assertEquals, assertOk } from "../testing/assert.ts";
import { archiveSection } from "./archive.ts";
import { statusContext } from "./run.ts";

const NOW = new Date("2026-12-03T06:00:00.000Z");

function ctx(url: string) {
  const parsed = parseCommandLine(statusCommand, { args: [`--database-url=${url}`], env: {} });
  if (parsed.help) throw new Error("unexpected help");
  return statusContext(parsed.config, NOW);
}

async function archived(
  sql: import("../db/mod.ts").Sql,
  table: string,
  day: string,
  error: string | null,
) {
  await sql`
    INSERT INTO archive_days (table_name, day, row_count, checksum, files, exported_at,
                              verified_at, verify_error)
    VALUES (${table}, ${day}::date, 1, 1, '[]', ${NOW}, ${NOW}, ${error})`;
}

Deno.test("the archive section shows the last verified day and the export lag", async () => {
  await withTestDatabase(async (db) => {
    const measureSpool = () => Promise.resolve(null);
    const empty = await archiveSection.run({ sql: db.sql, measureSpool }, ctx(db.url));
    assertEquals(empty.rows[0].value, "no export recorded");
    assertEquals(empty.findings, []);

    await archived(db.sql, "ticks", "2026-12-01", null);
    await archived(db.sql, "ticks", "2026-12-02", null);
    await archived(db.sql, "trades", "2026-12-01", null);
    const ok = await archiveSection.run({ sql: db.sql, measureSpool }, ctx(db.url));
    // The least advanced table (trades) decides: through 2026-12-01, which ended 30 h ago.
    assertEquals(ok.rows[0].value, "last verified day 2026-12-01, export lag 30h00m");
    assertEquals((ok.data as { exportLagSeconds: number }).exportLagSeconds, 30 * 3600);
    assertEquals(ok.findings, []);

    await archived(db.sql, "trades", "2026-12-02", "the database holds 2 rows, the archive 1");
    const failing = await archiveSection.run({ sql: db.sql, measureSpool }, ctx(db.url));
    assertEquals(failing.findings.map((f) => f.check), ["archive"]);
    assertOk(failing.findings[0].message.includes("trades: 1 day(s) failed verification"));
    assertOk(failing.rows[0].value.endsWith("1 day(s) failing verification"));
  });
});
