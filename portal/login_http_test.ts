/**
 * Login throttling that holds, over real HTTP (Deno.serve and fetch): concurrent guesses cannot
 * pass the per-client limit because each attempt is counted before its hash runs; the client is
 * the socket peer, or the entry the trusted proxy appended — never a value the client chose; one
 * client's lockout is nobody else's; the global bound on hashing answers 429 without locking
 * anyone out; oversized bodies get 413 before anything is counted or hashed. Password checks are
 * held open by a gate, so nothing depends on timing.
 */
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import type { TrustedProxies } from "@kalshi-data/lib/net";
import { until } from "../lib/testing/wait.ts";
import { hashPassword, verifyPassword } from "./auth.ts";
import { LoginThrottle } from "./login_throttle.ts";
import { createPortalFixture, type PortalFixture } from "./testing/portal.ts";
import { serveApp, type ServedApp } from "./testing/serve.ts";

const PASSWORD = "correct horse battery staple";

/** A password check that waits until the test opens the gate. */
function gatedVerify() {
  let open!: () => void;
  const opened = new Promise<void>((r) => open = r);
  const gate = {
    started: 0,
    verify: async (password: string, hash: string) => {
      gate.started++;
      await opened;
      return verifyPassword(password, hash);
    },
    open: () => open(),
  };
  return gate;
}

async function serveLogin(
  f: PortalFixture,
  options: {
    throttle: LoginThrottle;
    trustedProxies?: TrustedProxies;
    verify: typeof verifyPassword;
  },
): Promise<ServedApp> {
  const app = f.appWith({
    auth: {
      mode: "password",
      passwordHash: await hashPassword(PASSWORD, { iterations: 10_000 }),
      sessionSecret: "s".repeat(40),
      sessionHours: 1,
    },
    throttle: options.throttle,
    trustedProxies: options.trustedProxies,
    verifyPassword: options.verify,
  });
  return serveApp(app);
}

function login(served: ServedApp, password: string, headers: Record<string, string> = {}) {
  return fetch(`${served.url}/login`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ password, next: "/" }).toString(),
    redirect: "manual",
  }).then(async (res) => ({
    status: res.status,
    retryAfter: res.headers.get("retry-after"),
    text: await res.text(),
  }));
}

Deno.test("concurrent guesses cannot pass the per-client limit", async () => {
  const f = await createPortalFixture({ seed: false });
  const gate = gatedVerify();
  const throttle = new LoginThrottle({ perClient: 5, windowSeconds: 900, concurrentHashes: 100 });
  const served = await serveLogin(f, { throttle, verify: gate.verify });
  try {
    const answers = Array.from({ length: 20 }, () => login(served, "guess"));
    await until(() => gate.started === 5 && throttle.hashing === 5, "five hashes under way");
    gate.open();
    const statuses = (await Promise.all(answers)).map((a) => a.status).sort();
    assertEquals(statuses, [...Array(5).fill(401), ...Array(15).fill(429)]);
    assertEquals(gate.started, 5, "only the admitted attempts were hashed");
    const right = await login(served, PASSWORD);
    assertEquals(right.status, 429, "the limit holds even for the right password");
    assertOk(Number(right.retryAfter) > 0);
    const spoofed = await login(served, PASSWORD, { "x-forwarded-for": "192.0.2.1" });
    assertEquals(spoofed.status, 429, "without trusted proxies X-Forwarded-For changes nothing");
  } finally {
    await served.close();
    await f.close();
  }
});

Deno.test("behind a trusted proxy each client has its own limit and cannot pick another", async () => {
  const f = await createPortalFixture({ seed: false });
  const throttle = new LoginThrottle({ perClient: 2, windowSeconds: 900, concurrentHashes: 100 });
  const served = await serveLogin(f, {
    throttle,
    trustedProxies: { mode: "hops", hops: 1 },
    verify: verifyPassword,
  });
  const via = (client: string, chosen = "203.0.113.250") => ({
    "x-forwarded-for": `${chosen}, ${client}`,
  });
  try {
    for (let i = 0; i < 2; i++) {
      assertEquals((await login(served, "guess", via("198.51.100.7"))).status, 401);
    }
    for (const chosen of ["192.0.2.1", "192.0.2.2", "10.9.9.9"]) {
      const res = await login(served, PASSWORD, via("198.51.100.7", chosen));
      assertEquals(res.status, 429, `a chosen entry (${chosen}) left of the proxy's is ignored`);
    }
    const other = await login(served, PASSWORD, via("198.51.100.8"));
    assertEquals(other.status, 303, "another client is not locked out");
    assertOk(f.logs.some((l) => l.includes("login throttled") && l.includes("198.51.100.7")));
  } finally {
    await served.close();
    await f.close();
  }
});

Deno.test("the global cap on hashing answers 429 with Retry-After and locks nobody out", async () => {
  const f = await createPortalFixture({ seed: false });
  const gate = gatedVerify();
  const throttle = new LoginThrottle({ perClient: 5, windowSeconds: 900, concurrentHashes: 1 });
  const served = await serveLogin(f, {
    throttle,
    trustedProxies: { mode: "hops", hops: 1 },
    verify: gate.verify,
  });
  try {
    const first = login(served, "guess", { "x-forwarded-for": "198.51.100.1" });
    await until(() => gate.started === 1, "the first hash under way");
    const busy = await login(served, PASSWORD, { "x-forwarded-for": "198.51.100.2" });
    assertEquals(busy.status, 429);
    assertEquals(busy.retryAfter, "1");
    assertOk(busy.text.includes("too many passwords at once"));
    gate.open();
    assertEquals((await first).status, 401);
    const again = await login(served, PASSWORD, { "x-forwarded-for": "198.51.100.2" });
    assertEquals(again.status, 303, "once a slot is free the same client logs in");
    assertEquals(throttle.hashing, 0);
  } finally {
    await served.close();
    await f.close();
  }
});

Deno.test("oversized request bodies get 413 before anything is counted or hashed", async () => {
  const f = await createPortalFixture({ seed: false });
  const gate = gatedVerify();
  gate.open();
  const throttle = new LoginThrottle({ perClient: 1, windowSeconds: 900, concurrentHashes: 1 });
  const served = await serveLogin(f, { throttle, verify: gate.verify });
  const big = new URLSearchParams({ password: "x".repeat(20_000), next: "/" }).toString();
  try {
    const declared = await fetch(`${served.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: big,
    });
    assertEquals(declared.status, 413);
    await declared.body?.cancel();
    const bytes = new TextEncoder().encode(big);
    const chunked = await fetch(`${served.url}/login`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new ReadableStream({
        start(c) {
          for (let i = 0; i < bytes.length; i += 1000) c.enqueue(bytes.subarray(i, i + 1000));
          c.close();
        },
      }),
    });
    assertEquals(chunked.status, 413, "a streamed body without a length is cut off too");
    await chunked.body?.cancel();
    const logout = await fetch(`${served.url}/logout`, { method: "POST", body: big });
    assertEquals(logout.status, 413, "every POST");
    await logout.body?.cancel();
    assertEquals(gate.started, 0);
    assertEquals((await login(served, PASSWORD)).status, 303, "no attempt was counted");
  } finally {
    await served.close();
    await f.close();
  }
});
