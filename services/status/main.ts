/** `deno task status [--json]`: the capture's health from the database (wiring only). */
import { measureSpool } from "../../lib/capture/spool.ts";
import { statusCommand } from "../../lib/commands/status.ts";
import { configFromCommandLine } from "../../lib/config/mod.ts";
import { createPool } from "../../lib/db/mod.ts";
import { runStatus } from "../../lib/status/mod.ts";

const { config } = configFromCommandLine(statusCommand);
const code = await runStatus(config, {
  stdout: (text) => console.log(text),
  stderr: (text) => console.error(text),
  now: () => new Date(),
  connect: (url, { connectTimeoutSeconds }) =>
    createPool(url.href, { max: 1, connectTimeoutSeconds, applicationName: "status" }),
  measureSpool,
});
Deno.exit(code);
