/** `deno task kalshi <validate|markets|events|candles|book> …`: the Kalshi command line (wiring only). */
import { permittedEnv, runKalshiCli } from "@kalshi-data/lib/kalshi";
import { runBookCli } from "@kalshi-data/lib/orderbook/cli";

const io = {
  stdout: (text: string) => console.log(text),
  stderr: (text: string) => console.error(text),
  readTextFile: (path: string) => Deno.readTextFile(path),
  env: permittedEnv,
};
// `book` reads the database, not Kalshi: lib/orderbook owns it.
Deno.exitCode = Deno.args[0] === "book"
  ? await runBookCli(Deno.args.slice(1), io)
  : await runKalshiCli(Deno.args, io);
