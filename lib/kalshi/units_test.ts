import { deepStrictEqual as assertEquals, throws as assertThrows } from "node:assert/strict";
import fc from "fast-check";
import {
  centsToPriceUnits,
  contractsToCountUnits,
  countUnitsToFixedPoint,
  decimalToUnits,
  dollarsToPriceUnits,
  fixedPointToCountUnits,
  priceUnitsToCents,
  priceUnitsToDollars,
} from "./units.ts";

const priceUnits = fc.integer({ min: 0, max: 100_000_000 });
const cents = fc.integer({ min: 0, max: 1_000_000 });
const countUnits = fc.integer({ min: -1_000_000_000_000, max: 1_000_000_000_000 });

Deno.test("dollar strings round-trip through price units exactly", () => {
  fc.assert(fc.property(priceUnits, (units) => {
    assertEquals(dollarsToPriceUnits(priceUnitsToDollars(units)), units);
  }));
});

Deno.test("cents convert to dollars and back without loss", () => {
  fc.assert(fc.property(cents, (c) => {
    const units = centsToPriceUnits(c);
    assertEquals(priceUnitsToCents(units), c);
    const dollars = priceUnitsToDollars(units);
    assertEquals(dollarsToPriceUnits(dollars), units);
    // The dollar string of n cents is n/100 written in decimal.
    assertEquals(dollars, `${Math.floor(c / 100)}.${String(c % 100).padStart(2, "0")}00`);
  }));
});

Deno.test("dollar strings with 0 to 4 decimals and trailing zeros parse to the same units", () => {
  fc.assert(fc.property(priceUnits, fc.integer({ min: 0, max: 3 }), (units, extraZeros) => {
    const text = priceUnitsToDollars(units) + "0".repeat(extraZeros);
    assertEquals(dollarsToPriceUnits(text), units);
    const trimmed = priceUnitsToDollars(units).replace(/\.?0+$/, "");
    assertEquals(dollarsToPriceUnits(trimmed === "" ? "0" : trimmed), units);
  }));
});

Deno.test("fixed-point counts round-trip through count units exactly, including negatives", () => {
  fc.assert(fc.property(countUnits, (units) => {
    assertEquals(fixedPointToCountUnits(countUnitsToFixedPoint(units)), units);
  }));
});

Deno.test("legacy integer contracts equal the fixed-point string with .00", () => {
  fc.assert(fc.property(fc.integer({ min: 0, max: 10_000_000 }), (n) => {
    assertEquals(contractsToCountUnits(n), fixedPointToCountUnits(`${n}.00`));
  }));
});

Deno.test("a dollar string with significant digits beyond four decimals is rejected, not rounded", () => {
  fc.assert(fc.property(priceUnits, fc.integer({ min: 1, max: 9 }), (units, digit) => {
    const text = `${priceUnitsToDollars(units)}${digit}`;
    assertThrows(() => dollarsToPriceUnits(text), RangeError);
  }));
});

Deno.test("malformed decimals are rejected with a reason", () => {
  for (const text of ["", "abc", "1.", ".5", "1e3", "0x10", " 1", "1,5", "NaN"]) {
    const result = decimalToUnits(text, 4);
    assertEquals(result.ok, false, text);
  }
  assertEquals(decimalToUnits("-0.5", 4), { ok: false, reason: "negative value not allowed" });
  assertEquals(decimalToUnits("-0.5", 4, { signed: true }), { ok: true, value: -5000 });
});

Deno.test("price units that are not whole cents refuse conversion to cents", () => {
  assertThrows(() => priceUnitsToCents(5650), RangeError);
  assertEquals(priceUnitsToCents(5600), 56);
});
