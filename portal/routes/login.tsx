/**
 * `GET/POST /login` and `POST /logout` of the shared-password mode. Each attempt is counted per
 * client, and takes one of the few hashing slots, before the password is even checked (see
 * ../login_throttle.ts); forms must come from this site and bodies are size-limited (app.ts).
 */
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { createSession, SESSION_COOKIE, verifyCsrf } from "../auth.ts";
import type { PortalContext, PortalDeps, PortalHandler } from "../deps.ts";
import { renderPage } from "../render.tsx";
import { requestProto, sameOrigin } from "../security.ts";

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
    const client = c.get("client");
    // Counted (and a hashing slot taken) before the hash runs: concurrent guesses cannot pass.
    const admission = deps.throttle.admit(c.get("clientKey"), deps.now());
    if (!admission.ok) {
      deps.logger.warn("login throttled", {
        client,
        reason: admission.reason,
        retry_after_s: admission.retryAfter,
      });
      return loginForm(c, deps, {
        next,
        status: 429,
        message: admission.reason === "client"
          ? `Too many attempts. Try again in ${admission.retryAfter} seconds.`
          : "The portal is checking too many passwords at once. Try again in a moment.",
        headers: { "Retry-After": String(admission.retryAfter) },
      });
    }
    const password = typeof form.password === "string" ? form.password : "";
    let ok = false;
    try {
      ok = await deps.verifyPassword(password, auth.passwordHash);
    } finally {
      admission.finish(ok);
    }
    if (!ok) {
      deps.logger.info("login failed", { client });
      return loginForm(c, deps, { next, status: 401, message: "Wrong password." });
    }
    const now = deps.now();
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
