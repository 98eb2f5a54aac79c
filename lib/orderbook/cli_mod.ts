/**
 * `kalshi book`: the stored order book of a market at an instant, for the Kalshi command line.
 * A face of its own so that the capture path, which imports `lib/orderbook`, never loads the
 * command definitions (they import the capture's settings: a cycle).
 * @module
 */
export { type BookIo, runBookCli } from "./cli.ts";
