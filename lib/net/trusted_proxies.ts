/**
 * Who is the client behind a chain of reverse proxies? Each proxy appends the address that
 * connected to it to `X-Forwarded-For`, so only the entries the trusted proxies appended can be
 * believed; anything to their left is whatever the client chose to send. The setting names the
 * trusted proxies as a hop count (every request passes through exactly that many proxies: Azure
 * App Service alone is 1, Front Door in front of App Service is 2) or as address ranges (CIDRs;
 * the socket peer and every entry inside them are proxies, the first address outside them from
 * the right is the client).
 * @module
 */

/** How far `X-Forwarded-For` may be believed. */
export type TrustedProxies =
  | { mode: "none" }
  | { mode: "hops"; hops: number }
  | { mode: "cidrs"; cidrs: readonly Cidr[] };

/** An address range: the first `bits` bits of `address` (4 bytes IPv4, 16 bytes IPv6). */
export interface Cidr {
  /** The range's first address, as bytes. */
  address: Uint8Array;
  /** How many leading bits of `address` the range fixes. */
  bits: number;
}

/** The client as resolved from the socket and the trusted part of `X-Forwarded-For`. */
export interface ResolvedClient {
  /** The client's address (IPv4 dotted, IPv6 compressed), or `unknown`. */
  address: string;
  /** Whether the request came through a trusted proxy (so X-Forwarded-Proto/-Host count too). */
  viaTrustedProxy: boolean;
}

/** Most hops a hop count may name. */
export const MAX_PROXY_HOPS = 16;

/** What a valid setting looks like (for error messages and help). */
export const TRUSTED_PROXIES_EXPECTED: string = `"none", a hop count from 1 to ${MAX_PROXY_HOPS} ` +
  `(App Service: 1, Front Door in front of App Service: 2), or comma-separated CIDRs such as ` +
  `10.0.0.0/8,2001:db8::/32`;

function parseIpv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]) || Number(parts[i]) > 255) return undefined;
    bytes[i] = Number(parts[i]);
  }
  return bytes;
}

function parseGroups(text: string): number[] | undefined {
  if (text === "") return [];
  const groups: number[] = [];
  const parts = text.split(":");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (i === parts.length - 1 && part.includes(".")) {
      const v4 = parseIpv4(part);
      if (!v4) return undefined;
      groups.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else return undefined;
  }
  return groups;
}

function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.replace(/%.*$/, "").split("::");
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0]);
  const tail = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array(missing).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** Parses an IPv4 or IPv6 address into 4 or 16 bytes; IPv4-mapped IPv6 becomes IPv4. */
export function parseIp(text: string): Uint8Array | undefined {
  if (text.includes(":")) {
    const bytes = parseIpv6(text);
    const mapped = bytes && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff &&
      bytes[11] === 0xff;
    return mapped ? bytes.slice(12) : bytes;
  }
  return parseIpv4(text);
}

/** Formats 4 or 16 bytes as an address (IPv6 with its longest zero run compressed). */
export function formatIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return bytes.join(".");
  const groups = Array.from({ length: 8 }, (_, i) => (bytes[2 * i] << 8) | bytes[2 * i + 1]);
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(":");
  const left = hex.slice(0, best.start).join(":");
  const right = hex.slice(best.start + best.length).join(":");
  return `${left}::${right}`;
}

/**
 * One `X-Forwarded-For` entry (or socket address) as bytes: `1.2.3.4`, `1.2.3.4:5678`,
 * `[2001:db8::1]:443`, `2001:db8::1`, quoted or not; undefined for anything else.
 */
export function parseForwardedEntry(entry: string): Uint8Array | undefined {
  let text = entry.trim().replace(/^"(.*)"$/, "$1");
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) text = bracketed[1];
  else if (/^[\d.]+:\d+$/.test(text)) text = text.replace(/:\d+$/, "");
  return parseIp(text);
}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (one host). */
export function parseCidr(text: string): Cidr | undefined {
  const [addressText, bitsText, ...rest] = text.trim().split("/");
  const address = parseIp(addressText);
  if (!address || rest.length) return undefined;
  const max = address.length * 8;
  if (bitsText === undefined) return { address, bits: max };
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return undefined;
  return { address, bits: Number(bitsText) };
}

/** Whether `address` lies in `cidr` (different families never match). */
export function inCidr(address: Uint8Array, cidr: Cidr): boolean {
  if (address.length !== cidr.address.length) return false;
  for (let bit = 0; bit < cidr.bits; bit += 8) {
    const take = Math.min(8, cidr.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((address[bit / 8] & mask) !== (cidr.address[bit / 8] & mask)) return false;
  }
  return true;
}

/**
 * Parses the trusted-proxies setting: `none` (or `0`), a hop count, or comma-separated CIDRs.
 * Throws an Error naming the part that is wrong.
 */
export function parseTrustedProxies(text: string): TrustedProxies {
  const value = text.trim().toLowerCase();
  if (value === "" || value === "none" || value === "0") return { mode: "none" };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > MAX_PROXY_HOPS) throw new Error(`${hops} hops is more than ${MAX_PROXY_HOPS}`);
    return { mode: "hops", hops };
  }
  const cidrs: Cidr[] = [];
  for (const part of value.split(",").map((p) => p.trim()).filter(Boolean)) {
    const cidr = parseCidr(part);
    if (!cidr) throw new Error(`"${part}" is not an address or CIDR range`);
    cidrs.push(cidr);
  }
  return { mode: "cidrs", cidrs };
}

function fromRight(
  entries: readonly string[],
  socket: Uint8Array,
  trusted: (a: Uint8Array) => boolean,
): Uint8Array {
  let nearest = socket;
  for (let i = entries.length - 1; i >= 0; i--) {
    const address = parseForwardedEntry(entries[i]);
    // A trusted proxy wrote something that is not an address: stop at the last one we know.
    if (!address) return nearest;
    if (!trusted(address)) return address;
    nearest = address;
  }
  return nearest;
}

/**
 * The client of a request: the socket peer, or — through trusted proxies only — the entry of
 * `forwardedFor` (the X-Forwarded-For header, several headers joined by commas) that the
 * outermost trusted proxy appended. Never a value left of that, which the client chose.
 */
export function resolveClient(
  trust: TrustedProxies,
  forwardedFor: string | undefined,
  socketAddress: string | undefined,
): ResolvedClient {
  const socket = socketAddress ? parseForwardedEntry(socketAddress) : undefined;
  const direct = { address: socket ? formatIp(socket) : "unknown", viaTrustedProxy: false };
  const entries = (forwardedFor ?? "").split(",").map((e) => e.trim()).filter(Boolean);
  if (trust.mode === "none") return direct;
  if (trust.mode === "hops") {
    if (entries.length === 0) return { ...direct, viaTrustedProxy: true };
    const entry = parseForwardedEntry(entries[Math.max(0, entries.length - trust.hops)]);
    return { address: entry ? formatIp(entry) : direct.address, viaTrustedProxy: true };
  }
  const trusted = (a: Uint8Array) => trust.cidrs.some((c) => inCidr(a, c));
  if (!socket || !trusted(socket)) return direct;
  return { address: formatIp(fromRight(entries, socket, trusted)), viaTrustedProxy: true };
}

/**
 * The key limits are counted under: the address itself for IPv4, the /64 network for IPv6 (one
 * subscriber usually holds a whole /64, so single addresses would cost an attacker nothing).
 */
export function clientKey(address: string): string {
  const bytes = parseIp(address);
  if (!bytes || bytes.length === 4) return address;
  const network = new Uint8Array(16);
  network.set(bytes.slice(0, 8));
  return `${formatIp(network)}/64`;
}
