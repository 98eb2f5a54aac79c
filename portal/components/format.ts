/** Display formatting for server-rendered pages; decimals stay strings (no float rounding). */

/** A dollar price like "0.5600" as "$0.56" (at least two decimals kept, trailing zeros cut). */
export function dollars(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  return `$${trimDecimal(value, 2)}`;
}

/** A price change like "-0.0300" as "−$0.03" and "0.0100" as "+$0.01"; zero as "$0.00". */
export function change(value: string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const negative = value.startsWith("-");
  const text = dollars(negative ? value.slice(1) : value);
  if (/^\$0\.0+$/.test(text)) return text;
  return `${negative ? "−" : "+"}${text}`;
}

/** A probability in dollars like "0.5650" as "56.5%" (exact: the decimal point moves). */
export function probability(value: string): string {
  const negative = value.startsWith("-");
  const [whole, fraction = ""] = (negative ? value.slice(1) : value).split(".");
  const digits = fraction.padEnd(2, "0");
  const percent = String(Number(whole + digits.slice(0, 2)));
  const rest = digits.slice(2).replace(/0+$/, "");
  return `${negative ? "-" : ""}${percent}${rest ? "." + rest : ""}%`;
}

/** A contract count like "1500.00" as "1,500". */
export function count(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const text = trimDecimal(String(value), 0);
  const [whole, fraction] = text.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return fraction ? `${grouped}.${fraction}` : grouped;
}

/** Cuts trailing zeros of a decimal string, keeping at least `keep` decimals. */
export function trimDecimal(text: string, keep: number): string {
  const [whole, fraction = ""] = text.split(".");
  let f = fraction.replace(/0+$/, "");
  if (f.length < keep) f = f.padEnd(keep, "0");
  return f ? `${whole}.${f}` : whole;
}

/** A time as "2026-01-05 14:30 UTC". */
export function time(value: Date | string | null | undefined): string {
  if (value === null || value === undefined) return "—";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toISOString().slice(0, 16).replace("T", " ") + " UTC";
}

/** A number with at most `digits` decimals, or "—". */
export function decimal(value: number | null | undefined, digits = 4): string {
  if (value === null || value === undefined) return "—";
  return String(Number(value.toFixed(digits)));
}
