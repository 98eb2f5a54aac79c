/** Reusable schemas for setting values, which always arrive as text (built with zod). */
import { z } from "zod";
import type { SettingSchema } from "./config.ts";

/** A URL whose scheme is one of `protocols` (e.g. `["http:", "https:"]`). */
export function urlValue(protocols: readonly string[]): SettingSchema<URL> {
  return z.string({ message: `a URL (${protocols.join(" or ")})` }).transform((text, ctx) => {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      ctx.addIssue({ code: "custom", message: `a URL (${protocols.join(" or ")})` });
      return z.NEVER;
    }
    if (!protocols.includes(url.protocol)) {
      ctx.addIssue({
        code: "custom",
        message: `a URL with scheme ${protocols.join(" or ")}, not ${url.protocol}`,
      });
      return z.NEVER;
    }
    return url;
  });
}

/** An integer between `min` and `max` inclusive. */
export function intValue(min: number, max: number): SettingSchema<number> {
  const expected = `an integer from ${min} to ${max}`;
  return z.string({ message: expected }).transform((text, ctx) => {
    const n = Number(text);
    if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    return n;
  });
}

/** A positive number of seconds or a rate, e.g. `0.5`; decimal text, at most `max`. */
export function positiveNumberValue(max: number): SettingSchema<number> {
  const expected = `a positive number up to ${max}`;
  return z.string({ message: expected }).transform((text, ctx) => {
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(n > 0) || n > max) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    return n;
  });
}

/** A TCP port, 0 meaning "pick a free one". */
export function portValue(): SettingSchema<number> {
  return intValue(0, 65535);
}

/** An IP address to listen on: IPv4 (`127.0.0.1`, `0.0.0.0`) or IPv6 (`::1`, `::`). */
export function ipAddressValue(): SettingSchema<string> {
  const expected =
    "an IP address such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface)";
  return z.string({ message: expected }).refine(
    (text) => z.ipv4().safeParse(text).success || z.ipv6().safeParse(text).success,
    { message: expected },
  );
}

/** One of the given words. */
export function choiceValue<const T extends readonly [string, ...string[]]>(
  choices: T,
): SettingSchema<T[number]> {
  return z.enum(choices, { message: `one of ${choices.join(", ")}` });
}

/** A comma-separated list of non-empty words (whitespace trimmed); empty text gives `[]`. */
export function listValue(): SettingSchema<string[]> {
  return z.string().transform((text) => text.split(",").map((s) => s.trim()).filter(Boolean));
}

/** A switch (`--once`): absent means false. */
export function switchValue(): SettingSchema<boolean> {
  return z.boolean().default(false);
}
