/**
 * Response hardening and request provenance: strict security headers on every response, the
 * optional Azure Front Door lock, the client address (X-Forwarded-For only through the trusted
 * proxies, lib/net/trusted_proxies.ts) and the origin (X-Forwarded-Proto/-Host).
 * @module
 */
import type { Context, MiddlewareHandler } from "hono";
import { clientKey, resolveClient, type TrustedProxies } from "@kalshi-data/lib/net";
import type { PortalEnv } from "./deps.ts";

/** The Content-Security-Policy: scripts and styles only from this origin, no inline code. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Headers set on every response. */
export const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": CONTENT_SECURITY_POLICY,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
  "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
};

/** Sets {@linkcode SECURITY_HEADERS} (and HSTS behind HTTPS) on every response, errors included. */
export function securityHeaders(options: { trustProxy: boolean }): MiddlewareHandler {
  return async (c, next) => {
    await next();
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
    if (requestProto(c, options.trustProxy) === "https") {
      c.res.headers.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    }
  };
}

/**
 * When `frontDoorId` is set, answers 403 to requests whose X-Azure-FDID differs (/healthz and
 * /readyz exempt: platform probes do not come through Front Door).
 */
export function frontDoorLock(frontDoorId: string | undefined): MiddlewareHandler {
  return async (c, next) => {
    if (frontDoorId && c.req.path !== "/healthz" && c.req.path !== "/readyz") {
      const header = c.req.header("x-azure-fdid") ?? "";
      if (header.toLowerCase() !== frontDoorId.toLowerCase()) {
        return c.text(
          "Forbidden: requests must come through the configured Azure Front Door.\n",
          403,
          {
            "Cache-Control": "no-store",
          },
        );
      }
    }
    await next();
  };
}

/** `http` or `https`, from X-Forwarded-Proto when the proxy is trusted. */
export function requestProto(c: Context, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? c.req.header("x-forwarded-proto")?.split(",")[0]?.trim()
    : undefined;
  if (forwarded === "http" || forwarded === "https") return forwarded;
  return new URL(c.req.url).protocol.replace(":", "");
}

/** The host the client used, from X-Forwarded-Host when the proxy is trusted. */
export function requestHost(c: Context, trustProxy: boolean): string {
  const forwarded = trustProxy
    ? c.req.header("x-forwarded-host")?.split(",")[0]?.trim()
    : undefined;
  return forwarded || c.req.header("host") || new URL(c.req.url).host;
}

/**
 * Sets the request's client address (`client`) and limit key (`clientKey`, an IPv6 /64 as one)
 * from the socket peer and — only through the trusted proxies — X-Forwarded-For. Calls
 * `onIgnoredForward` when a request carries X-Forwarded-For that no trust setting lets count
 * (a deployment behind a proxy that forgot PORTAL_TRUSTED_PROXIES).
 */
export function identifyClient(
  trust: TrustedProxies,
  onIgnoredForward?: () => void,
): MiddlewareHandler<PortalEnv> {
  return async (c, next) => {
    const forwarded = c.req.header("x-forwarded-for");
    const client = resolveClient(trust, forwarded, c.env?.remoteAddr?.hostname);
    if (forwarded && !client.viaTrustedProxy) onIgnoredForward?.();
    c.set("client", client.address);
    c.set("clientKey", clientKey(client.address));
    await next();
  };
}

/**
 * Whether a form POST comes from this site: `Sec-Fetch-Site` must not be cross-site, and an
 * `Origin` header, when present, must equal this site's origin.
 */
export function sameOrigin(c: Context, trustProxy: boolean): boolean {
  const site = c.req.header("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = c.req.header("origin");
  if (!origin) return true;
  return origin === `${requestProto(c, trustProxy)}://${requestHost(c, trustProxy)}`;
}
