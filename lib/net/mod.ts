/** Network helpers shared by services: the trusted reverse proxies and client identity. @module */

export {
  clientKey,
  parseTrustedProxies,
  resolveClient,
  TRUSTED_PROXIES_EXPECTED,
  type TrustedProxies,
} from "./trusted_proxies.ts";
export { type Cidr } from "./trusted_proxies.ts";
export { type ResolvedClient } from "./trusted_proxies.ts";
