/** Kalshi connection settings every service shares (one definition, same names everywhere). */
import {
  ConfigError,
  positiveNumberValue,
  type Setting,
  setting,
  urlValue,
} from "../config/mod.ts";
import { z } from "zod";
import { type KalshiCredentials, loadCredentials } from "./auth.ts";
import { DEFAULT_READ_BURST_SECONDS, PRODUCTION_REST_URL } from "./rest.ts";
import { PRODUCTION_WS_URL } from "./ws.ts";

/** `KALSHI_REST_URL`: REST base URL including /trade-api/v2. */
export const kalshiRestUrl: Setting<URL> = setting({
  env: "KALSHI_REST_URL",
  flag: "rest-url",
  schema: urlValue(["http:", "https:"]),
  default: PRODUCTION_REST_URL,
  help: "Kalshi REST base URL (demo: https://external-api.demo.kalshi.co/trade-api/v2; " +
    "the simulator's URL in tests)",
  expected: "an http(s) URL ending in /trade-api/v2",
  access: "net",
});

/** `KALSHI_WS_URL`: WebSocket URL. */
export const kalshiWsUrl: Setting<URL> = setting({
  env: "KALSHI_WS_URL",
  flag: "ws-url",
  schema: urlValue(["ws:", "wss:"]),
  default: PRODUCTION_WS_URL,
  help: "Kalshi WebSocket URL (demo: wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2)",
  expected: "a ws(s) URL ending in /trade-api/ws/v2",
  access: "net",
});

/** `KALSHI_API_KEY_ID`: API key id; optional for REST, required for WS against real Kalshi. */
export const kalshiApiKeyId: Setting<string | undefined> = setting({
  env: "KALSHI_API_KEY_ID",
  flag: "api-key-id",
  schema: z.string().min(1).optional(),
  help: "Kalshi API key id (UUID); set together with KALSHI_PRIVATE_KEY_PATH to sign requests",
  expected: "a Kalshi API key id",
});

/** `KALSHI_PRIVATE_KEY_PATH`: PEM private key file (RSA PKCS#1/PKCS#8 or Ed25519). */
export const kalshiPrivateKeyPath: Setting<string | undefined> = setting({
  env: "KALSHI_PRIVATE_KEY_PATH",
  flag: "private-key-path",
  schema: z.string().min(1).optional(),
  help: "path of the PEM private key of KALSHI_API_KEY_ID (RSA PKCS#1/PKCS#8 or Ed25519)",
  expected: "a readable file path",
  access: "read",
});

/** `KALSHI_READS_PER_SECOND`: the process-wide read budget (Kalshi Basic tier = 20). */
export const kalshiReadsPerSecond: Setting<number> = setting({
  env: "KALSHI_READS_PER_SECOND",
  flag: "reads-per-second",
  schema: positiveNumberValue(10_000),
  default: "20",
  help: "REST requests per second for this process (token bucket shared by all requests)",
  expected: "a positive number of requests per second",
});

/**
 * `KALSHI_READ_BURST_SECONDS`: the read bucket's capacity in seconds of the read budget. Default
 * 1, a conservative share of Kalshi's 2 s Basic/Advanced read bucket (3 s since Sep 2026; 1 s on
 * higher tiers): budget unused while no request was ready is kept for later, yet a cold start's
 * burst leaves the exchange's bucket room for network jitter, so it cannot trip a 429.
 */
export const kalshiReadBurstSeconds: Setting<number> = setting({
  env: "KALSHI_READ_BURST_SECONDS",
  flag: "read-burst-seconds",
  schema: positiveNumberValue(3),
  default: String(DEFAULT_READ_BURST_SECONDS),
  help: "REST requests that may go back to back after an idle spell, in seconds of " +
    "KALSHI_READS_PER_SECOND (keep it below Kalshi's bucket: 2 s Basic/Advanced, 1 s higher tiers)",
  expected: "a positive number of seconds up to 3",
});

/**
 * `KALSHI_CLOCK`: where a service takes "now" from. `server` follows the HTTP `Date` header of the
 * Kalshi server it talks to (lib/kalshi/server_clock.ts), so a replay of an old window looks live.
 */
export const kalshiClock: Setting<"system" | "server"> = setting({
  env: "KALSHI_CLOCK",
  flag: "clock",
  schema: z.enum(["system", "server"], { message: "system or server" }),
  default: "system",
  help: 'where "now" comes from: system (this machine\'s clock) or server (the HTTP Date ' +
    "header of the Kalshi server, simulator or replay this service talks to)",
  expected: "system or server",
});

/** The six shared settings, to spread into a command's `settings`. */
export const kalshiSettings = {
  kalshiRestUrl,
  kalshiWsUrl,
  kalshiApiKeyId,
  kalshiPrivateKeyPath,
  kalshiReadsPerSecond,
  kalshiReadBurstSeconds,
};

/**
 * Loads credentials when both key id and key path are set; null when neither is. One without
 * the other is a ConfigError naming the missing variable.
 */
export async function credentialsFromSettings(
  config: { kalshiApiKeyId?: string; kalshiPrivateKeyPath?: string },
): Promise<KalshiCredentials | null> {
  const { kalshiApiKeyId: keyId, kalshiPrivateKeyPath: path } = config;
  if (keyId === undefined && path === undefined) return null;
  if (keyId === undefined) {
    throw new ConfigError(
      "KALSHI_API_KEY_ID (--api-key-id)",
      undefined,
      "the key id that belongs to KALSHI_PRIVATE_KEY_PATH",
    );
  }
  if (path === undefined) {
    throw new ConfigError(
      "KALSHI_PRIVATE_KEY_PATH (--private-key-path)",
      undefined,
      "the PEM key file of KALSHI_API_KEY_ID",
    );
  }
  try {
    return await loadCredentials(keyId, path);
  } catch (error) {
    throw new ConfigError(
      "KALSHI_PRIVATE_KEY_PATH (--private-key-path)",
      path,
      `a readable PEM private key (${(error as Error).message})`,
    );
  }
}
