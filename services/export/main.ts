/** `deno task export [--verify]`: the Parquet archive (wiring only; logic in lib/archive). */
import { openDuckDb, runExportCommand } from "@kalshi-data/lib/archive/duckdb";
import { exportCommand } from "@kalshi-data/lib/commands";
import { configFromCommandLine } from "@kalshi-data/lib/config";
import { createPool } from "@kalshi-data/lib/db";

const { config } = configFromCommandLine(exportCommand);
const sql = createPool(config.databaseUrl.href, { max: 3, applicationName: "export" });
const stop = new AbortController();
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(sig, () => stop.abort());
}
let code = 1;
try {
  code = await runExportCommand(config, sql, {
    stdout: (text) => console.log(text),
    stderr: (text) => console.error(text),
    now: () => new Date(),
    openDuck: openDuckDb,
    signal: stop.signal,
  });
} catch (error) {
  // Every failure the archive reports says what, where and what to do; print it, exit 1.
  console.error(`export: ${error instanceof Error ? error.message : String(error)}`);
} finally {
  await sql.end({ timeout: 5 });
}
Deno.exit(code);
