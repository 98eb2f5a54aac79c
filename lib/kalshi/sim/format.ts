/** Kalshi wire formats: dollar strings from 1/10000-dollar integers, "_fp" counts from hundredths, RFC 3339 times. */

/** Price units: integer 1/10000 dollar (5600 = "0.5600"). Formats as a 4-dp dollar string. */
export function dollars(units: number): string {
  const neg = units < 0;
  const u = Math.abs(Math.round(units));
  const s = `${Math.floor(u / 10000)}.${String(u % 10000).padStart(4, "0")}`;
  return neg ? `-${s}` : s;
}

/** Count units: integer hundredths of a contract (1050 = "10.50"). Formats as a 2-dp fixed-point string. */
export function countFp(hundredths: number): string {
  const neg = hundredths < 0;
  const u = Math.abs(Math.round(hundredths));
  const s = `${Math.floor(u / 100)}.${String(u % 100).padStart(2, "0")}`;
  return neg ? `-${s}` : s;
}

/** RFC 3339 UTC with microseconds when the instant has sub-second digits, like Kalshi ("…T04:00:04.828502Z"). */
export function rfc3339(ms: number, micros = 0): string {
  const iso = new Date(ms).toISOString(); // 2026-08-05T04:00:04.828Z
  const frac = (ms % 1000) * 1000 + micros;
  if (frac === 0) return iso.slice(0, 19) + "Z";
  return `${iso.slice(0, 19)}.${String(frac).padStart(6, "0").replace(/0+$/, "")}Z`;
}

/** Unix seconds (floor) of a ms instant. */
export function secs(ms: number): number {
  return Math.floor(ms / 1000);
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];

/** Kalshi-style date code of an instant in UTC: "26NOV25" (+ "1530" when `withTime`). */
export function dateCode(ms: number, withTime: boolean): string {
  const d = new Date(ms);
  const yy = String(d.getUTCFullYear() % 100).padStart(2, "0");
  const dd = String(d.getUTCDate()).padStart(2, "0");
  const base = `${yy}${MONTHS[d.getUTCMonth()]}${dd}`;
  if (!withTime) return base;
  return base + String(d.getUTCHours()).padStart(2, "0") +
    String(d.getUTCMinutes()).padStart(2, "0");
}
