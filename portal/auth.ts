/**
 * Optional access control. `password`: one shared password stored only as a PBKDF2-SHA256 hash,
 * a signed HttpOnly SameSite=Strict session cookie, CSRF-checked forms; login attempts are
 * throttled by ./login_throttle.ts.
 * `appservice`: Azure App Service Authentication ("Easy Auth") signs users in before requests
 * reach the portal and injects X-MS-CLIENT-PRINCIPAL-* headers, which it strips from client
 * requests; the portal only requires their presence. Never enable that mode unless App Service
 * Authentication is on, or anyone could send the header.
 * @module
 */
import { encodeBase64Url } from "./_base64.ts";

/** Iterations of new password hashes (OWASP 2023 guidance for PBKDF2-SHA256). */
export const DEFAULT_ITERATIONS = 600_000;

/** Name of the session cookie. */
export const SESSION_COOKIE = "portal_session";

const encoder = new TextEncoder();

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes));
}

async function pbkdf2(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "PBKDF2", hash: "SHA-256", salt: salt as BufferSource, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** Equal-length comparison in constant time. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

/** Hashes `password` as `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64). */
export async function hashPassword(
  password: string,
  options: { iterations?: number; salt?: Uint8Array } = {},
): Promise<string> {
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  const salt = options.salt ?? crypto.getRandomValues(new Uint8Array(16));
  const hash = await pbkdf2(password, salt, iterations);
  return `pbkdf2-sha256$${iterations}$${toBase64(salt)}$${toBase64(hash)}`;
}

/** Checks `password` against a hash from {@linkcode hashPassword}; false on any malformed hash. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split("$");
  if (parts.length !== 4 || parts[0] !== "pbkdf2-sha256") return false;
  const iterations = Number(parts[1]);
  if (!Number.isSafeInteger(iterations) || iterations < 10_000 || iterations > 10_000_000) {
    return false;
  }
  try {
    const expected = fromBase64(parts[3]);
    const actual = await pbkdf2(password, fromBase64(parts[2]), iterations);
    return timingSafeEqual(actual, expected);
  } catch {
    return false;
  }
}

async function hmac(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return encodeBase64Url(
    new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(message))),
  );
}

/** A verified session. */
export interface Session {
  /** Random id of the session (revoked on logout). */
  id: string;
  /** Expiry, Unix seconds. */
  expires: number;
}

/** Creates a session and its cookie value `<expires>.<id>.<signature>`. */
export async function createSession(
  secret: string,
  options: { now: Date; hours: number },
): Promise<{ session: Session; token: string }> {
  const id = encodeBase64Url(crypto.getRandomValues(new Uint8Array(18)));
  const expires = Math.floor(options.now.getTime() / 1000) + options.hours * 3600;
  const payload = `${expires}.${id}`;
  return {
    session: { id, expires },
    token: `${payload}.${await hmac(secret, `session.${payload}`)}`,
  };
}

/** Verifies a cookie value: signature, expiry and revocation; undefined when not valid. */
export async function verifySession(
  secret: string,
  token: string | undefined,
  options: { now: Date; revoked?: { has(id: string): boolean } },
): Promise<Session | undefined> {
  if (!token) return undefined;
  const match = /^(\d{1,12})\.([A-Za-z0-9_-]{16,64})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return undefined;
  const [, expiresText, id, signature] = match;
  const expected = await hmac(secret, `session.${expiresText}.${id}`);
  if (!timingSafeEqual(encoder.encode(expected), encoder.encode(signature))) return undefined;
  const expires = Number(expiresText);
  if (expires * 1000 <= options.now.getTime()) return undefined;
  if (options.revoked?.has(id)) return undefined;
  return { id, expires };
}

/** The CSRF token of forms posted within `session` (logout). */
export function csrfToken(secret: string, session: Session): Promise<string> {
  return hmac(secret, `csrf.${session.id}`);
}

/** Checks a posted CSRF token against the session's. */
export async function verifyCsrf(
  secret: string,
  session: Session,
  token: string | undefined,
): Promise<boolean> {
  if (!token) return false;
  return timingSafeEqual(encoder.encode(await csrfToken(secret, session)), encoder.encode(token));
}

/** Session ids ended by logout, kept until they would have expired anyway. */
export class RevokedSessions {
  #expiries = new Map<string, number>();
  /** Revokes a session. */
  add(session: Session): void {
    this.#expiries.set(session.id, session.expires);
  }
  /** Whether the id was revoked. */
  has(id: string): boolean {
    return this.#expiries.has(id);
  }
  /** Forgets revocations of sessions that have expired. */
  prune(now: Date): void {
    const seconds = now.getTime() / 1000;
    for (const [id, expires] of this.#expiries) if (expires <= seconds) this.#expiries.delete(id);
  }
}
