import { assertEquals, assertThrows } from "../testing/assert.ts";
import {
  clientKey,
  formatIp,
  inCidr,
  parseCidr,
  parseForwardedEntry,
  parseIp,
  parseTrustedProxies,
  resolveClient,
} from "./trusted_proxies.ts";

Deno.test("addresses parse and format in both families, ports and brackets cut", () => {
  assertEquals(formatIp(parseIp("203.0.113.7")!), "203.0.113.7");
  assertEquals(formatIp(parseIp("2001:DB8:0:0:0:0:0:1")!), "2001:db8::1");
  assertEquals(formatIp(parseIp("::1")!), "::1");
  assertEquals(formatIp(parseIp("::")!), "::");
  assertEquals(formatIp(parseIp("::ffff:198.51.100.4")!), "198.51.100.4", "IPv4-mapped");
  assertEquals(formatIp(parseIp("fe80::1%eth0")!), "fe80::1");
  assertEquals(formatIp(parseIp("1:0:0:2:0:0:0:3")!), "1:0:0:2::3");
  for (const bad of ["256.1.1.1", "1.2.3", "1::2::3", "12345::", "unknown", "", "1.2.3.4.5"]) {
    assertEquals(parseIp(bad), undefined, bad);
  }
  assertEquals(formatIp(parseForwardedEntry("203.0.113.7:51234")!), "203.0.113.7");
  assertEquals(formatIp(parseForwardedEntry("[2001:db8::7]:443")!), "2001:db8::7");
  assertEquals(formatIp(parseForwardedEntry(' "192.0.2.1" ')!), "192.0.2.1");
  assertEquals(parseForwardedEntry("_hidden"), undefined);
});

Deno.test("CIDR ranges match by prefix within one family", () => {
  const ten = parseCidr("10.0.0.0/8")!;
  assertEquals(inCidr(parseIp("10.200.1.2")!, ten), true);
  assertEquals(inCidr(parseIp("11.0.0.1")!, ten), false);
  assertEquals(inCidr(parseIp("::ffff:10.1.1.1")!, ten), true);
  const odd = parseCidr("192.168.4.0/22")!;
  assertEquals(inCidr(parseIp("192.168.7.255")!, odd), true);
  assertEquals(inCidr(parseIp("192.168.8.0")!, odd), false);
  const v6 = parseCidr("2001:db8::/32")!;
  assertEquals(inCidr(parseIp("2001:db8:ffff::1")!, v6), true);
  assertEquals(inCidr(parseIp("10.0.0.1")!, v6), false);
  assertEquals(inCidr(parseIp("127.0.0.1")!, parseCidr("127.0.0.1")!), true);
  assertEquals(parseCidr("10.0.0.0/33"), undefined);
  assertEquals(parseCidr("10.0.0.0/8/1"), undefined);
});

Deno.test("the setting parses none, hop counts and CIDR lists, and names what is wrong", () => {
  assertEquals(parseTrustedProxies("none"), { mode: "none" });
  assertEquals(parseTrustedProxies("0"), { mode: "none" });
  assertEquals(parseTrustedProxies("2"), { mode: "hops", hops: 2 });
  assertEquals(parseTrustedProxies("10.0.0.0/8, ::1").mode, "cidrs");
  assertEquals(
    assertThrows(() => parseTrustedProxies("99"), Error).message.includes("99 hops"),
    true,
  );
  const bad = assertThrows(() => parseTrustedProxies("10.0.0.0/8,frontdoor"), Error);
  assertEquals(bad.message, '"frontdoor" is not an address or CIDR range');
});

Deno.test("without trusted proxies X-Forwarded-For is ignored", () => {
  const client = resolveClient({ mode: "none" }, "1.1.1.1", "198.51.100.9");
  assertEquals(client, { address: "198.51.100.9", viaTrustedProxy: false });
  assertEquals(resolveClient({ mode: "none" }, undefined, undefined).address, "unknown");
});

Deno.test("a hop count takes the entry the outermost proxy appended, never one to its left", () => {
  const frontDoor = parseTrustedProxies("2");
  // client-chosen, client as Front Door saw it, Front Door as App Service saw it (with a port)
  const header = "6.6.6.6, 203.0.113.7, 147.243.1.2:40000";
  assertEquals(resolveClient(frontDoor, header, "169.254.0.1").address, "203.0.113.7");
  assertEquals(resolveClient(frontDoor, "203.0.113.7, 147.243.1.2", "::1").address, "203.0.113.7");
  // fewer entries than hops: the leftmost is the nearest the chain got to the client
  assertEquals(resolveClient(frontDoor, "203.0.113.8", "10.0.0.1").address, "203.0.113.8");
  assertEquals(resolveClient(frontDoor, undefined, "10.0.0.1").address, "10.0.0.1");
  const appService = parseTrustedProxies("1");
  assertEquals(resolveClient(appService, "6.6.6.6, 198.51.100.3:1234", "10.0.0.1"), {
    address: "198.51.100.3",
    viaTrustedProxy: true,
  });
});

Deno.test("CIDRs: only a trusted socket peer's header counts, walked from the right", () => {
  const trust = parseTrustedProxies("10.0.0.0/8,127.0.0.1");
  assertEquals(
    resolveClient(trust, "6.6.6.6, 203.0.113.7, 10.1.1.1", "127.0.0.1"),
    { address: "203.0.113.7", viaTrustedProxy: true },
  );
  assertEquals(
    resolveClient(trust, "203.0.113.7", "198.51.100.1"),
    { address: "198.51.100.1", viaTrustedProxy: false },
    "an untrusted peer's header is ignored",
  );
  assertEquals(resolveClient(trust, "10.2.2.2, 10.1.1.1", "127.0.0.1").address, "10.2.2.2");
  assertEquals(resolveClient(trust, "garbage, 10.1.1.1", "127.0.0.1").address, "10.1.1.1");
});

Deno.test("IPv6 clients are counted per /64", () => {
  assertEquals(clientKey("2001:db8:1:2:aaaa::1"), "2001:db8:1:2::/64");
  assertEquals(clientKey("2001:db8:1:2:bbbb::9"), "2001:db8:1:2::/64");
  assertEquals(clientKey("203.0.113.7"), "203.0.113.7");
  assertEquals(clientKey("unknown"), "unknown");
});
