/**
 * The market page's order book in Chromium (playwright-core, as portal/browser_test.ts): over
 * seeded order-book rows read through the portal's read-only pool, the ladder shows the seeded
 * book at the instant chosen in the form, at "now" by default, and a market with no stored book
 * shows one short line instead. No Content-Security-Policy violation on the way.
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { writeOrderbookBatch } from "@kalshi-data/lib/orderbook";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { fileRequirement, testRequiring } from "../lib/testing/requirements.ts";
import { createPortalFixture } from "./testing/portal.ts";
import { SEED, SEED_NOW } from "./testing/seed.ts";
import { serveApp } from "./testing/serve.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const OUTPUT = new URL("../.data/test-output/portal/", import.meta.url).pathname;
const MARKET = SEED.activeMarket;
/** The book's first snapshot, two hours before the fixture's "now". */
const T0 = SEED_NOW.getTime() - 2 * 3600_000;

async function importPlaywright() {
  Deno.env.set("__IS_WSL_TEST__", "1"); // see portal/browser_test.ts
  return await import("playwright-core");
}

/** A snapshot, then deltas an hour later: the book differs before and after them. */
async function seedBook(sql: Parameters<typeof writeOrderbookBatch>[0]) {
  await writeOrderbookBatch(sql, {
    id: "portal-book",
    snapshots: [{
      marketTicker: MARKET,
      tsMs: T0,
      order: 1,
      kind: "subscribe",
      yes: [[4100, 250_000], [4200, 1_200]],
      no: [[5500, 300], [5400, 1]],
    }],
    deltas: [
      {
        marketTicker: MARKET,
        tsMs: T0 + 3600_000,
        order: 2,
        side: "yes",
        price: 4200,
        delta: -200,
      },
      {
        marketTicker: MARKET,
        tsMs: T0 + 3600_000,
        order: 3,
        side: "no",
        price: 5600,
        delta: 7_000,
      },
      { marketTicker: MARKET, tsMs: T0 + 3600_000, order: 4, side: "no", price: 5400, delta: -1 },
    ],
  });
}

/** The ladder's cells, row by row (bids, YES price, asks, NO price). */
async function ladder(page: Page): Promise<string[][]> {
  return await page.$$eval(
    '[data-testid="orderbook-ladder"] tbody tr',
    (rows) => rows.map((r) => [...r.querySelectorAll("td")].map((td) => td.textContent ?? "")),
  );
}

Deno.test(testRequiring(
  await fileRequirement("Chromium", CHROMIUM),
  "in Chromium the market page shows the stored order book at the chosen time",
  async (t) => {
    const f = await createPortalFixture();
    const served = serveApp(f.app);
    const userDataDir = await Deno.makeTempDir({ prefix: "portal-chromium-" });
    await Deno.mkdir(OUTPUT, { recursive: true });
    await seedBook(f.db.sql);
    const { chromium } = await importPlaywright();
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic"],
    });
    const problems: string[] = [];
    try {
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.text().includes("Content Security Policy")) problems.push(m.text());
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

      await t.step("the book at an instant before the deltas", async () => {
        const at = new Date(T0 + 1800_000).toISOString();
        const res = await page.goto(`${served.url}/markets/${MARKET}?at=${at}`);
        assertEquals(res?.status(), 200);
        assertEquals(await page.inputValue("#orderbook-at"), at);
        assertEquals(await ladder(page), [
          ["", "$0.46", "0.01", "$0.54"],
          ["", "$0.45", "3", "$0.55"],
          ["12", "$0.42", "", "$0.58"],
          ["2,500", "$0.41", "", "$0.59"],
        ]);
        assertEquals(await page.locator('[data-testid="orderbook-depth"] polygon').count(), 2);
        await page.locator("#orderbook").screenshot({ path: join(OUTPUT, "orderbook.png") });
      });

      await t.step(
        "choosing a later instant in the form shows the book after the deltas",
        async () => {
          await page.fill("#orderbook-at", new Date(T0 + 3600_000).toISOString());
          await Promise.all([
            page.waitForURL(/at=/),
            page.click('#orderbook button[type="submit"]'),
          ]);
          assertEquals(await ladder(page), [
            ["", "$0.45", "3", "$0.55"],
            ["", "$0.44", "70", "$0.56"],
            ["10", "$0.42", "", "$0.58"],
            ["2,500", "$0.41", "", "$0.59"],
          ]);
        },
      );

      await t.step(
        "without `at` the page shows the book now; before any snapshot, none",
        async () => {
          await page.goto(`${served.url}/markets/${MARKET}`);
          assertEquals(await page.inputValue("#orderbook-at"), SEED_NOW.toISOString());
          assertEquals((await ladder(page)).length, 4);
          await page.goto(`${served.url}/markets/${MARKET}?at=${new Date(T0 - 1).toISOString()}`);
          assertEquals(await ladder(page), []);
          assertOk((await page.textContent("#orderbook"))!.includes("No order book stored at or"));
        },
      );

      await t.step("a market with no stored book shows one short line", async () => {
        await page.goto(`${served.url}/markets/${SEED.settledMarket}`);
        assertEquals(
          (await page.innerText("#orderbook")).replace(/\s+/g, " ").trim(),
          "Order book No order book stored for this market.",
        );
        assertEquals(await page.locator("#orderbook form").count(), 0);
      });

      await t.step("a bad instant is a 400 naming the parameter", async () => {
        const res = await page.goto(`${served.url}/markets/${MARKET}?at=banana`);
        assertEquals(res?.status(), 400);
        assertOk((await page.textContent("body"))!.includes("at"));
      });

      await t.step("no Content-Security-Policy violation or page error", () => {
        assertEquals(problems, []);
      });
    } finally {
      await context.close();
      await served.close();
      await f.close();
      await Deno.remove(userDataDir, { recursive: true });
    }
  },
));
