/** `deno task status [--json]`: the capture's health from the database (wiring only). */
import { measureSpool } from "@kalshi-data/lib/capture";
import { statusCommand } from "@kalshi-data/lib/commands";
import { configFromCommandLine } from "@kalshi-data/lib/config";
import { createPool } from "@kalshi-data/lib/db";
import { runStatus } from "@kalshi-data/lib/status";

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
