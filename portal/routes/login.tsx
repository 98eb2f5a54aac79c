/**
 * `GET/POST /login` and `POST /logout` of the shared-password mode. Attempts are throttled per
 * client and overall before the password is even checked; forms must come from this site.
 */
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createSession, SESSION_COOKIE, verifyCsrf, verifyPassword } from "../auth.ts";
import type { PortalContext, PortalDeps, PortalHandler } from "../deps.ts";
import { renderPage } from "../render.tsx";
import { clientAddress, requestProto, sameOrigin } from "../security.ts";

/** A safe local redirect target: a path on this site, never `//host` or a URL. */
export function safeNext(value: unknown): string {
  if (typeof value !== "string" || value.length > 2000) return "/";
  return /^\/(?![/\\])[^\s\\]*$/.test(value) ? value : "/";
}

function loginForm(
  c: PortalContext,
  deps: PortalDeps,
  options: { next: string; message?: string; status?: number; headers?: Record<string, string> },
): Response {
  return renderPage(c, deps, {
    title: "Log in",
    status: options.status,
    headers: { "Cache-Control": "no-store", ...options.headers },
    body: (
      <section class="login">
        <h1>Log in</h1>
        {options.message && <p class="error-message" role="alert">{options.message}</p>}
        <form method="post" action="/login">
          <input type="hidden" name="next" value={options.next} />
          <label>
            Password{" "}
            <input type="password" name="password" autocomplete="current-password" required />
          </label>
          <button type="submit">Log in</button>
        </form>
      </section>
    ),
  });
}

/** GET `/login`. */
export function loginPage(deps: PortalDeps): PortalHandler {
  return (c) => loginForm(c, deps, { next: safeNext(c.req.query("next")) });
}

/** POST `/login`. */
export function loginSubmit(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const auth = deps.auth;
    if (auth.mode !== "password") return c.text("Not found\n", 404);
    if (!sameOrigin(c, deps.trustProxy)) {
      return c.text("Forbidden: cross-site form submission\n", 403, {
        "Cache-Control": "no-store",
      });
    }
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const client = clientAddress(c, deps.trustProxy, c.env?.remoteAddr?.hostname);
    const now = deps.now();
    const wait = deps.throttle.retryAfter(client, now);
    if (wait > 0) {
      deps.logger.warn("login throttled", { client, retry_after_s: wait });
      return loginForm(c, deps, {
        next,
        status: 429,
        message: `Too many failed attempts. Try again in ${wait} seconds.`,
        headers: { "Retry-After": String(wait) },
      });
    }
    const password = typeof form.password === "string" ? form.password : "";
    if (!(await verifyPassword(password, auth.passwordHash))) {
      deps.throttle.fail(client, now);
      deps.logger.info("login failed", { client });
      return loginForm(c, deps, { next, status: 401, message: "Wrong password." });
    }
    deps.throttle.succeed(client);
    const { token } = await createSession(auth.sessionSecret, { now, hours: auth.sessionHours });
    setCookie(c, SESSION_COOKIE, token, {
      httpOnly: true,
      sameSite: "Strict",
      secure: requestProto(c, deps.trustProxy) === "https",
      path: "/",
      maxAge: auth.sessionHours * 3600,
    });
    c.header("Cache-Control", "no-store");
    return c.redirect(next, 303);
  };
}

/** POST `/logout`: ends the session (revoked server-side too) when its CSRF token matches. */
export function logoutSubmit(deps: PortalDeps): PortalHandler {
  return async (c) => {
    const auth = deps.auth;
    const session = c.get("session");
    if (auth.mode !== "password" || !session) return c.redirect("/login", 303);
    const form = await c.req.parseBody();
    const csrf = typeof form.csrf === "string" ? form.csrf : undefined;
    if (!sameOrigin(c, deps.trustProxy) || !(await verifyCsrf(auth.sessionSecret, session, csrf))) {
      return c.text("Forbidden: invalid form token\n", 403, { "Cache-Control": "no-store" });
    }
    deps.revoked.add(session);
    deps.revoked.prune(deps.now());
    if (getCookie(c, SESSION_COOKIE)) deleteCookie(c, SESSION_COOKIE, { path: "/" });
    c.header("Cache-Control", "no-store");
    return c.redirect("/login", 303);
  };
}
