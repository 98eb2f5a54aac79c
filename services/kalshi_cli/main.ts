/** `deno task kalshi <validate|markets|events|candles> …`: the Kalshi command line (wiring only). */
import { permittedEnv, runKalshiCli } from "../../lib/kalshi/cli.ts";

Deno.exitCode = await runKalshiCli(Deno.args, {
  stdout: (text) => console.log(text),
  stderr: (text) => console.error(text),
  readTextFile: (path) => Deno.readTextFile(path),
  env: permittedEnv,
});
