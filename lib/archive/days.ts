/** UTC days as `YYYY-MM-DD` text: parsing, bounds and arithmetic, without a day-by-day walk. */
import { z } from "zod";

const DAY_MS = 86_400_000;

const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** Whether `text` written as a day names a real one (2025-02-30 does not). */
function isCalendarDay(text: string): boolean {
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 10) === text;
}

/** Whether `text` is a calendar day written `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  return DAY_PATTERN.test(text) && isCalendarDay(text);
}

/** A valid calendar day, `YYYY-MM-DD` (the archive's manifests). */
export const daySchema: z.ZodType<string> = z.string()
  .regex(DAY_PATTERN, { message: "a day as YYYY-MM-DD" })
  .refine(isCalendarDay, { message: "a calendar day as YYYY-MM-DD" });

/** The instant a UTC day starts. */
export function dayStart(day: string): Date {
  return new Date(`${day}T00:00:00.000Z`);
}

/** The instant after a UTC day ends (the next day's start). */
export function dayEnd(day: string): Date {
  return new Date(dayStart(day).getTime() + DAY_MS);
}

/** The UTC day containing `instant`. */
export function dayOf(instant: Date | number): string {
  return new Date(instant).toISOString().slice(0, 10);
}

/** `day` moved by `n` days (negative: earlier). */
export function addDays(day: string, n: number): string {
  return dayOf(dayStart(day).getTime() + n * DAY_MS);
}

/** An inclusive range of days; either end open. */
export interface DayRange {
  /** First day (inclusive); undefined: from the first day holding rows. */
  from?: string;
  /** Last day (inclusive); undefined: through the last day holding rows. */
  to?: string;
}

/** Whether `day` lies in `range`. */
export function inRange(day: string, range: DayRange): boolean {
  return (range.from === undefined || day >= range.from) &&
    (range.to === undefined || day <= range.to);
}
