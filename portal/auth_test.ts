/** Login, sessions, throttling and App Service mode, through the app and directly. */
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import {
  createSession,
  hashPassword,
  SESSION_COOKIE,
  verifyPassword,
  verifySession,
} from "./auth.ts";
import { LoginThrottle } from "./login_throttle.ts";
import { safeNext } from "./routes/login.tsx";
import { createPortalFixture } from "./testing/portal.ts";
import { SEED_NOW } from "./testing/seed.ts";

const PASSWORD = "correct horse battery staple";
const SECRET = "s".repeat(40);

function loginBody(password: string, next = "/") {
  return new URLSearchParams({ password, next }).toString();
}

function post(path: string, body: string, headers: Record<string, string> = {}) {
  return new Request(`http://portal.test${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: "http://portal.test",
      host: "portal.test",
      ...headers,
    },
    body,
  });
}

function cookieOf(res: Response): string {
  const header = res.headers.get("set-cookie") ?? "";
  return header.split(";")[0];
}

Deno.test("password hashes verify only the right password and resist malformed input", async () => {
  const hash = await hashPassword(PASSWORD, { iterations: 10_000 });
  assertOk(/^pbkdf2-sha256\$10000\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/.test(hash));
  assertOk(!hash.includes(PASSWORD));
  assertEquals(await verifyPassword(PASSWORD, hash), true);
  assertEquals(await verifyPassword(PASSWORD + " ", hash), false);
  assertEquals(await verifyPassword(PASSWORD, "plain"), false);
  assertEquals(await verifyPassword(PASSWORD, "pbkdf2-sha256$1$AA==$AA=="), false);
  assertEquals(await verifyPassword(PASSWORD, hash.replace(/\$[^$]+$/, "$!!!")), false);
});

Deno.test("session tokens fail when tampered, expired or revoked", async () => {
  const now = SEED_NOW;
  const { token, session } = await createSession(SECRET, { now, hours: 1 });
  assertEquals((await verifySession(SECRET, token, { now }))?.id, session.id);
  const [expires, id, signature] = token.split(".");
  const flipped = signature[0] === "A" ? "B" + signature.slice(1) : "A" + signature.slice(1);
  assertEquals(await verifySession(SECRET, `${expires}.${id}.${flipped}`, { now }), undefined);
  assertEquals(
    await verifySession(SECRET, `${Number(expires) + 3600}.${id}.${signature}`, { now }),
    undefined,
  );
  assertEquals(await verifySession("t".repeat(40), token, { now }), undefined);
  assertEquals(
    await verifySession(SECRET, token, { now: new Date(now.getTime() + 3600_000) }),
    undefined,
  );
  assertEquals(
    await verifySession(SECRET, token, { now, revoked: new Set([session.id]) }),
    undefined,
  );
  assertEquals(await verifySession(SECRET, "garbage", { now }), undefined);
});

Deno.test("the throttle counts attempts per client before hashing and caps hashing overall", () => {
  const throttle = new LoginThrottle({ perClient: 3, windowSeconds: 60, concurrentHashes: 2 });
  const t0 = SEED_NOW.getTime();
  const at = (ms: number) => new Date(t0 + ms);
  const a1 = throttle.admit("a", at(0));
  const a2 = throttle.admit("a", at(1000));
  assertOk(a1.ok && a2.ok);
  assertEquals(throttle.hashing, 2);
  assertEquals(
    throttle.admit("b", at(1500)),
    { ok: false, reason: "busy", retryAfter: 1 },
    "both hashing slots are taken: 429 for anyone, without counting an attempt",
  );
  a1.finish(false);
  a2.finish(false);
  a2.finish(false); // idempotent
  assertEquals(throttle.hashing, 0);
  assertOk(throttle.admit("b", at(1500)).ok, "a slot freed: b may try; nobody is locked out");
  const a3 = throttle.admit("a", at(2000));
  assertOk(a3.ok);
  assertEquals(
    throttle.admit("a", at(3000)),
    { ok: false, reason: "client", retryAfter: 57 },
    "the third attempt is counted while its hash still runs",
  );
  a3.finish(false);
  assertEquals(throttle.retryAfter("c", at(3000)), 0, "other clients are unaffected");
  assertEquals(throttle.retryAfter("a", at(60_001)), 0, "the window slid past the first");
  const ok = throttle.admit("a", at(60_001));
  assertOk(ok.ok);
  ok.finish(true);
  assertEquals(throttle.retryAfter("a", at(60_002)), 0, "a success clears the count");
});

Deno.test("safeNext keeps local paths and refuses other sites", () => {
  assertEquals(safeNext("/markets/X?a=1"), "/markets/X?a=1");
  for (const bad of ["//evil.example", "https://evil.example", "/\\evil", "javascript:x", 3]) {
    assertEquals(safeNext(bad), "/");
  }
});

Deno.test("password mode: login, throttling, tampered cookie and logout", async (t) => {
  const f = await createPortalFixture({ seedOptions: { bulkMarkets: 0 } });
  let now = SEED_NOW;
  const app = f.appWith({
    auth: {
      mode: "password",
      passwordHash: await hashPassword(PASSWORD, { iterations: 10_000 }),
      sessionSecret: SECRET,
      sessionHours: 2,
    },
    now: () => now,
    throttle: new LoginThrottle({ perClient: 3, windowSeconds: 900 }),
    trustedProxies: { mode: "hops", hops: 1 },
  });
  try {
    await t.step("pages redirect to the login form and the API answers 401", async () => {
      const page = await app.request("/markets/X?x=1");
      assertEquals(page.status, 303);
      assertEquals(page.headers.get("location"), "/login?next=%2Fmarkets%2FX%3Fx%3D1");
      const api = await app.request("/api/overview");
      assertEquals(api.status, 401);
      assertEquals((await api.json()).error.status, 401);
      const form = await app.request("/login?next=/browse");
      assertEquals(form.status, 200);
      const body = await form.text();
      assertOk(body.includes('type="password"'));
      assertOk(body.includes('value="/browse"'));
      assertEquals(form.headers.get("cache-control"), "no-store");
    });

    await t.step("the health check and static assets stay open", async () => {
      assertEquals((await app.request("/healthz")).status, 200);
      assertEquals((await app.request(f.assets.url("styles.css"))).status, 200);
    });

    await t.step("a wrong password answers 401 and sets no cookie", async () => {
      const res = await app.request(
        post("/login", loginBody("guess"), { "x-forwarded-for": "198.51.100.1" }),
      );
      assertEquals(res.status, 401);
      assertOk((await res.text()).includes("Wrong password."));
      assertEquals(res.headers.get("set-cookie"), null);
    });

    await t.step("a cross-site login form post is refused", async () => {
      const res = await app.request(
        post("/login", loginBody(PASSWORD), { origin: "https://evil.example" }),
      );
      assertEquals(res.status, 403);
      const fetchSite = await app.request(
        post("/login", loginBody(PASSWORD), { "sec-fetch-site": "cross-site" }),
      );
      assertEquals(fetchSite.status, 403);
    });

    await t.step(
      "repeated failures are throttled, even with the right password, per client",
      async () => {
        const ip = { "x-forwarded-for": "10.0.0.1, 203.0.113.7" };
        for (let i = 0; i < 3; i++) {
          assertEquals((await app.request(post("/login", loginBody("nope"), ip))).status, 401);
        }
        const spoofed = { "x-forwarded-for": "192.0.2.99, 203.0.113.7" };
        const blocked = await app.request(post("/login", loginBody(PASSWORD), spoofed));
        assertEquals(
          blocked.status,
          429,
          "a client-chosen entry left of the proxy's changes nothing",
        );
        assertEquals(blocked.headers.get("retry-after"), "900");
        assertEquals(blocked.headers.get("set-cookie"), null);
        const other = await app.request(
          post("/login", loginBody(PASSWORD), { "x-forwarded-for": "192.0.2.50" }),
        );
        assertEquals(other.status, 303, "another client is not blocked");
        now = new Date(SEED_NOW.getTime() + 901_000);
        const later = await app.request(post("/login", loginBody(PASSWORD), ip));
        assertEquals(later.status, 303, "the window passed");
        now = SEED_NOW;
      },
    );

    let cookie = "";
    await t.step(
      "the right password sets a signed HttpOnly SameSite cookie and redirects",
      async () => {
        const res = await app.request(
          post("/login", loginBody(PASSWORD, "/browse?q=fed"), {
            "x-forwarded-proto": "https",
            origin: "https://portal.test",
          }),
        );
        assertEquals(res.status, 303);
        assertEquals(res.headers.get("location"), "/browse?q=fed");
        const header = res.headers.get("set-cookie")!;
        assertOk(header.startsWith(`${SESSION_COOKIE}=`));
        assertOk(header.includes("HttpOnly"));
        assertOk(header.includes("SameSite=Strict"));
        assertOk(header.includes("Secure"));
        assertOk(header.includes("Max-Age=7200"));
        cookie = cookieOf(res);
        const page = await app.request("/", { headers: { cookie } });
        assertEquals(page.status, 200);
        const body = await page.text();
        assertOk(body.includes('action="/logout"'));
        assertEquals(page.headers.get("cache-control"), "private, max-age=15");
        const api = await app.request("/api/overview", { headers: { cookie } });
        assertEquals(api.status, 200);
      },
    );

    await t.step("an open redirect through next is refused", async () => {
      const res = await app.request(post("/login", loginBody(PASSWORD, "//evil.example/x")));
      assertEquals(res.headers.get("location"), "/");
    });

    await t.step("a tampered or expired cookie is treated as no session", async () => {
      const [name, value] = cookie.split("=");
      const [expires, id, signature] = value.split(".");
      const longer = `${name}=${Number(expires) + 86400}.${id}.${signature}`;
      assertEquals((await app.request("/", { headers: { cookie: longer } })).status, 303);
      const forged = `${name}=${expires}.${id}.${"A".repeat(43)}`;
      assertEquals((await app.request("/", { headers: { cookie: forged } })).status, 303);
      assertEquals((await app.request("/", { headers: { cookie: `${name}=x` } })).status, 303);
      now = new Date(SEED_NOW.getTime() + 2 * 3600_000 + 1000);
      assertEquals((await app.request("/", { headers: { cookie } })).status, 303);
      now = SEED_NOW;
    });

    await t.step("logout needs the session's CSRF token, then revokes the session", async () => {
      const page = await (await app.request("/", { headers: { cookie } })).text();
      const token = page.match(/name="csrf" value="([^"]+)"/)![1];
      const forged = await app.request(post("/logout", "csrf=wrong", { cookie }));
      assertEquals(forged.status, 403);
      const crossSite = await app.request(
        post("/logout", `csrf=${token}`, { cookie, origin: "https://evil.example" }),
      );
      assertEquals(crossSite.status, 403);
      const res = await app.request(
        post("/logout", `csrf=${encodeURIComponent(token)}`, { cookie }),
      );
      assertEquals(res.status, 303);
      assertEquals(res.headers.get("location"), "/login");
      assertOk(res.headers.get("set-cookie")!.includes("Max-Age=0"));
      const reuse = await app.request("/", { headers: { cookie } });
      assertEquals(reuse.status, 303, "the old cookie no longer works");
    });
  } finally {
    await f.close();
  }
});

Deno.test("appservice mode requires App Service's principal headers", async () => {
  const f = await createPortalFixture({ seedOptions: { bulkMarkets: 0 } });
  try {
    const app = f.appWith({ auth: { mode: "appservice" } });
    const anonymous = await app.request("/");
    assertEquals(anonymous.status, 401);
    assertOk((await anonymous.text()).includes("/.auth/login"));
    assertEquals((await app.request("/api/browse")).status, 401);
    assertEquals((await app.request("/healthz")).status, 200);
    const signedIn = await app.request("/", {
      headers: { "x-ms-client-principal-name": "ada@example.org" },
    });
    assertEquals(signedIn.status, 200);
    assertOk((await signedIn.text()).includes("ada@example.org"));
    assertEquals((await app.request("/login")).status, 401, "no password login in this mode");
  } finally {
    await f.close();
  }
});
