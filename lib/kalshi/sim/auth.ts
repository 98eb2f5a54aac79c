/** Verifies Kalshi request signatures: KALSHI-ACCESS-* headers, RSA-PSS/SHA-256 (salt 32) or Ed25519. */
import { constants, createPublicKey, type KeyObject, verify } from "node:crypto";
import { Buffer } from "node:buffer";

/** Why a request failed authentication, or null when it passed. */
export type AuthFailure = "missing_headers" | "bad_timestamp" | "bad_signature" | null;

/** Options for {@link createAuthVerifier}. */
export interface AuthVerifierOptions {
  /** Accepted key id; any id when omitted. */
  keyId?: string;
  /** Reject timestamps further than this from real time (ms, default 300000; 0 disables). */
  maxSkewMs?: number;
  /** Real time source, Unix ms (default Date.now). */
  realNow?: () => number;
}

/** A signature checker for one public key. */
export interface AuthVerifier {
  /** Checks headers for `method` + `path` (path without query string). */
  check(headers: Headers, method: string, path: string): AuthFailure;
}

/** Creates a verifier from a PEM public key (SPKI or PKCS#1 RSA, or Ed25519). */
export function createAuthVerifier(
  publicKeyPem: string,
  options: AuthVerifierOptions = {},
): AuthVerifier {
  const key: KeyObject = createPublicKey(publicKeyPem);
  const maxSkew = options.maxSkewMs ?? 300_000;
  const realNow = options.realNow ?? Date.now;
  return {
    check(headers, method, path) {
      const id = headers.get("KALSHI-ACCESS-KEY");
      const ts = headers.get("KALSHI-ACCESS-TIMESTAMP");
      const sig = headers.get("KALSHI-ACCESS-SIGNATURE");
      if (!id || !ts || !sig) return "missing_headers";
      if (options.keyId && id !== options.keyId) return "bad_signature";
      if (!/^\d+$/.test(ts)) return "bad_timestamp";
      if (maxSkew > 0 && Math.abs(Number(ts) - realNow()) > maxSkew) return "bad_timestamp";
      const data = Buffer.from(ts + method.toUpperCase() + path);
      const signature = Buffer.from(sig, "base64");
      let ok = false;
      try {
        ok = key.asymmetricKeyType === "ed25519" ? verify(null, data, key, signature) : verify(
          "sha256",
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          signature,
        );
      } catch {
        ok = false;
      }
      return ok ? null : "bad_signature";
    },
  };
}
