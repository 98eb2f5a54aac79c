import { constants, createPublicKey, generateKeyPairSync, verify } from "node:crypto";
import { Buffer } from "node:buffer";
import { assertEquals, assertOk, assertThrows } from "../testing/assert.ts";
import {
  AUTH_HEADERS,
  authHeaders,
  parsePrivateKey,
  signingPayload,
  verifyAuthHeaders,
} from "./auth.ts";

function rsaPems() {
  const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  return {
    pkcs1: privateKey.export({ type: "pkcs1", format: "pem" }) as string,
    pkcs8: privateKey.export({ type: "pkcs8", format: "pem" }) as string,
    publicPem: publicKey.export({ type: "spki", format: "pem" }) as string,
  };
}

const url = "https://external-api.kalshi.com/trade-api/v2/markets?limit=5&cursor=abc";
const timestampMs = 1_786_401_938_602;

for (const format of ["pkcs1", "pkcs8"] as const) {
  Deno.test(`an RSA ${format.toUpperCase()} key signs timestamp+method+path with RSA-PSS that node:crypto verifies`, () => {
    const pems = rsaPems();
    assertOk(
      pems[format].includes(format === "pkcs1" ? "BEGIN RSA PRIVATE KEY" : "BEGIN PRIVATE KEY"),
    );
    const credentials = { keyId: "key-1", privateKey: parsePrivateKey(pems[format]) };
    const headers = authHeaders(credentials, { method: "get", url, timestampMs });
    assertEquals(headers[AUTH_HEADERS.key], "key-1");
    assertEquals(headers[AUTH_HEADERS.timestamp], String(timestampMs));
    const message = Buffer.from(`${timestampMs}GET/trade-api/v2/markets`);
    const ok = verify("sha256", message, {
      key: createPublicKey(pems.publicPem),
      padding: constants.RSA_PKCS1_PSS_PADDING,
      saltLength: 32,
    }, Buffer.from(headers[AUTH_HEADERS.signature], "base64"));
    assertOk(ok, "signature does not verify with salt length 32");
    assertOk(
      verifyAuthHeaders(pems.publicPem, { method: "GET", url, headers: new Headers(headers) }),
    );
    assertEquals(
      verifyAuthHeaders(pems.publicPem, {
        method: "GET",
        url: "https://x/trade-api/v2/events",
        headers: new Headers(headers),
      }),
      false,
    );
  });
}

Deno.test("an Ed25519 key is detected from the parsed key and signs with Ed25519", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const pem = privateKey.export({ type: "pkcs8", format: "pem" }) as string;
  const credentials = { keyId: "ed", privateKey: parsePrivateKey(pem) };
  const headers = authHeaders(credentials, {
    method: "GET",
    url: new URL("wss://h/trade-api/ws/v2"),
    timestampMs,
  });
  const ok = verify(
    null,
    Buffer.from(`${timestampMs}GET/trade-api/ws/v2`),
    publicKey,
    Buffer.from(headers[AUTH_HEADERS.signature], "base64"),
  );
  assertOk(ok);
});

Deno.test("the signed path drops the query string and the host", () => {
  assertEquals(
    signingPayload(1, "get", "/trade-api/v2/markets?limit=1"),
    "1GET/trade-api/v2/markets",
  );
  assertEquals(
    signingPayload(2, "POST", "https://a.b/trade-api/v2/x?y=1#z"),
    "2POST/trade-api/v2/x",
  );
});

Deno.test("a file that is not a private key is refused with the supported types named", () => {
  const error = assertThrows(
    () => parsePrivateKey("-----BEGIN NOTHING-----\nAAAA\n-----END NOTHING-----"),
    TypeError,
  );
  assertOk(error.message.includes("PKCS#1"));
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  assertThrows(
    () => parsePrivateKey(privateKey.export({ type: "pkcs8", format: "pem" }) as string),
    TypeError,
  );
});
