/**
 * Exact money and contract-count units used everywhere after the Kalshi edge.
 *
 * - Prices are integers of 1/10000 US dollar ("price units"): "0.5600" -> 5600, 56 cents -> 5600.
 *   Kalshi's price grids step by 0.01 or 0.001 dollars, so four decimals are always enough;
 *   a dollar string with non-zero digits beyond the fourth decimal is rejected, never rounded.
 * - Contract counts are integers of 1/100 contract ("count units"): "10.00" -> 1000, legacy
 *   integer 10 -> 1000. Kalshi's minimum granularity is 0.01 contracts.
 *
 * Binary floats are never used for either; conversions are string/integer arithmetic.
 */

/** Integer number of 1/10000 US dollar. */
export type PriceUnits = number;
/** Integer number of 1/100 contract. */
export type CountUnits = number;

/** Price units per US dollar. */
export const PRICE_UNITS_PER_DOLLAR = 10_000;
/** Price units per US cent. */
export const PRICE_UNITS_PER_CENT = 100;
/** Count units per whole contract. */
export const COUNT_UNITS_PER_CONTRACT = 100;

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** Result of an exact decimal conversion: the integer, or why the text is not representable. */
export type DecimalResult = { ok: true; value: number } | { ok: false; reason: string };

/**
 * Converts a decimal string to an integer of 10^-scale units without rounding.
 * Fails on malformed text, on non-zero digits beyond `scale` decimals and on unsafe integers.
 */
export function decimalToUnits(
  text: string,
  scale: number,
  options: { signed?: boolean } = {},
): DecimalResult {
  const match = DECIMAL.exec(text);
  if (match === null) return { ok: false, reason: "not a decimal number" };
  const [, minus, whole, fraction = ""] = match;
  if (minus !== undefined && options.signed !== true) {
    return { ok: false, reason: "negative value not allowed" };
  }
  const kept = fraction.slice(0, scale).padEnd(scale, "0");
  const dropped = fraction.slice(scale);
  if (/[1-9]/.test(dropped)) {
    return { ok: false, reason: `more than ${scale} significant decimals` };
  }
  const digits = (whole + kept).replace(/^0+(?=\d)/, "");
  const magnitude = Number(digits);
  if (!Number.isSafeInteger(magnitude)) return { ok: false, reason: "value too large" };
  return { ok: true, value: minus !== undefined && magnitude !== 0 ? -magnitude : magnitude };
}

/** Formats an integer of 10^-scale units as a fixed decimal string with exactly `scale` decimals. */
export function unitsToDecimal(units: number, scale: number): string {
  if (!Number.isSafeInteger(units)) throw new RangeError(`not a safe integer: ${units}`);
  const sign = units < 0 ? "-" : "";
  const digits = String(Math.abs(units)).padStart(scale + 1, "0");
  if (scale === 0) return sign + digits;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** Parses a Kalshi dollar string ("0.5600", "0.56", "1") into price units; throws RangeError if inexact. */
export function dollarsToPriceUnits(dollars: string): PriceUnits {
  const result = decimalToUnits(dollars, 4, { signed: true });
  if (!result.ok) throw new RangeError(`invalid dollar amount "${dollars}": ${result.reason}`);
  return result.value;
}

/** Formats price units as a four-decimal dollar string (5600 -> "0.5600"). */
export function priceUnitsToDollars(units: PriceUnits): string {
  return unitsToDecimal(units, 4);
}

/** Converts legacy integer cents into price units (56 -> 5600). */
export function centsToPriceUnits(cents: number): PriceUnits {
  if (!Number.isSafeInteger(cents)) throw new RangeError(`cents must be an integer: ${cents}`);
  return cents * PRICE_UNITS_PER_CENT;
}

/** Converts price units to integer cents; throws RangeError when the price is not a whole cent. */
export function priceUnitsToCents(units: PriceUnits): number {
  if (units % PRICE_UNITS_PER_CENT !== 0) {
    throw new RangeError(`price ${priceUnitsToDollars(units)} is not a whole number of cents`);
  }
  return units / PRICE_UNITS_PER_CENT;
}

/** Parses a fixed-point count string ("10.00", "0.91", "-9.12") into count units; throws if inexact. */
export function fixedPointToCountUnits(fp: string): CountUnits {
  const result = decimalToUnits(fp, 2, { signed: true });
  if (!result.ok) throw new RangeError(`invalid fixed-point count "${fp}": ${result.reason}`);
  return result.value;
}

/** Formats count units as a two-decimal fixed-point string (1000 -> "10.00"). */
export function countUnitsToFixedPoint(units: CountUnits): string {
  return unitsToDecimal(units, 2);
}

/** Converts a legacy integer contract count into count units (7 -> 700). */
export function contractsToCountUnits(contracts: number): CountUnits {
  if (!Number.isSafeInteger(contracts)) {
    throw new RangeError(`contract count must be an integer: ${contracts}`);
  }
  return contracts * COUNT_UNITS_PER_CONTRACT;
}
