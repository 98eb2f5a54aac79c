/**
 * Kalshi request signing: base64(sign(timestampMs + METHOD + path)) with RSA-PSS/SHA-256
 * (salt = digest length) for RSA keys or Ed25519 for Ed25519 keys. The path is the URL path
 * from the host root without the query string; the body is never signed.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { Buffer } from "node:buffer";

/** A Kalshi API key: its id and the parsed private key. */
export interface KalshiCredentials {
  /** API key id (UUID) sent as KALSHI-ACCESS-KEY. */
  keyId: string;
  /** Private key (RSA or Ed25519). */
  privateKey: KeyObject;
}

/** Header names Kalshi reads. */
export const AUTH_HEADERS = {
  key: "KALSHI-ACCESS-KEY",
  timestamp: "KALSHI-ACCESS-TIMESTAMP",
  signature: "KALSHI-ACCESS-SIGNATURE",
} as const;

/** Which signature algorithm a key implies. */
export type KeyAlgorithm = "rsa-pss-sha256" | "ed25519";

/**
 * Parses a PEM private key (PKCS#1 "RSA PRIVATE KEY", PKCS#8 "PRIVATE KEY", Ed25519 PKCS#8);
 * throws a TypeError naming the supported types for anything else.
 */
export function parsePrivateKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: "pem" });
  } catch (error) {
    throw new TypeError(
      `not a PEM private key (expected PKCS#1 or PKCS#8 RSA, or PKCS#8 Ed25519): ${
        (error as Error).message
      }`,
    );
  }
  keyAlgorithm(key);
  return key;
}

/** Detects the signing algorithm from the parsed key (not from the PEM header). */
export function keyAlgorithm(key: KeyObject): KeyAlgorithm {
  if (key.asymmetricKeyType === "rsa" || key.asymmetricKeyType === "rsa-pss") {
    return "rsa-pss-sha256";
  }
  if (key.asymmetricKeyType === "ed25519") return "ed25519";
  throw new TypeError(
    `unsupported key type ${key.asymmetricKeyType}; Kalshi accepts RSA and Ed25519 keys`,
  );
}

/** Reads the key file and returns credentials; errors name the file. */
export async function loadCredentials(
  keyId: string,
  privateKeyPath: string,
): Promise<KalshiCredentials> {
  let pem: string;
  try {
    pem = await Deno.readTextFile(privateKeyPath);
  } catch (error) {
    throw new Error(
      `cannot read Kalshi private key ${privateKeyPath}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  try {
    return { keyId, privateKey: parsePrivateKey(pem) };
  } catch (error) {
    throw new Error(`Kalshi private key ${privateKeyPath}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The exact string Kalshi expects to be signed. */
export function signingPayload(
  timestampMs: number,
  method: string,
  pathOrUrl: string | URL,
): string {
  return `${timestampMs}${method.toUpperCase()}${pathOnly(pathOrUrl)}`;
}

function pathOnly(pathOrUrl: string | URL): string {
  if (pathOrUrl instanceof URL) return pathOrUrl.pathname;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pathOrUrl)) return new URL(pathOrUrl).pathname;
  const q = pathOrUrl.search(/[?#]/);
  return q === -1 ? pathOrUrl : pathOrUrl.slice(0, q);
}

/** Signs `message` with the key's algorithm; returns base64. */
export function signMessage(key: KeyObject, message: string): string {
  const data = Buffer.from(message, "utf8");
  if (keyAlgorithm(key) === "ed25519") return sign(null, data, key).toString("base64");
  return sign("sha256", data, {
    key,
    padding: constants.RSA_PKCS1_PSS_PADDING,
    saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
  }).toString("base64");
}

/**
 * Returns the three Kalshi auth headers for a request (`pathOrUrl` may be a full URL; only its
 * path is signed).
 */
export function authHeaders(
  credentials: KalshiCredentials,
  request: { method: string; url: string | URL; timestampMs: number },
): Record<string, string> {
  const payload = signingPayload(request.timestampMs, request.method, request.url);
  return {
    [AUTH_HEADERS.key]: credentials.keyId,
    [AUTH_HEADERS.timestamp]: String(request.timestampMs),
    [AUTH_HEADERS.signature]: signMessage(credentials.privateKey, payload),
  };
}

/**
 * Verifies a request's Kalshi signature against a public key (PEM or KeyObject). Used by the
 * simulator and tests; returns false on any malformed header.
 */
export function verifyAuthHeaders(
  publicKey: KeyObject | string,
  request: { method: string; url: string | URL; headers: Headers },
): boolean {
  const timestamp = request.headers.get(AUTH_HEADERS.timestamp);
  const signature = request.headers.get(AUTH_HEADERS.signature);
  if (timestamp === null || signature === null || !/^\d+$/.test(timestamp)) return false;
  const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
  const data = Buffer.from(signingPayload(Number(timestamp), request.method, request.url), "utf8");
  const sig = Buffer.from(signature, "base64");
  try {
    if (key.asymmetricKeyType === "ed25519") return verify(null, data, key, sig);
    return verify("sha256", data, {
      key,
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: constants.RSA_PSS_SALTLEN_DIGEST,
    }, sig);
  } catch {
    return false;
  }
}
