/** `deno task query "SQL"`: DuckDB over the archive (wiring only; logic in lib/archive). */
import { openDuckDb, runQueryCommand } from "@kalshi-data/lib/archive/duckdb";
import { queryCommand } from "@kalshi-data/lib/commands";
import { configFromCommandLine } from "@kalshi-data/lib/config";

const { config, positionals } = configFromCommandLine(queryCommand);
if (positionals.length > 1) {
  console.error(`query: give the SQL as one quoted argument; got ${positionals.length} arguments`);
  Deno.exit(2);
}
const code = await runQueryCommand(config, positionals[0], {
  stdout: (text) => console.log(text),
  stderr: (text) => console.error(text),
  now: () => new Date(),
  openDuck: openDuckDb,
});
Deno.exit(code);
