/**
 * Browser tests of the research features: Debian's Chromium driven by playwright-core against a
 * real server over seeded data and the real bundle; every list is compared with the database.
 */
import type { Page } from "playwright-core";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { fileRequirement, testRequiring } from "../lib/testing/requirements.ts";
import { loadAssets } from "./assets.ts";
import { buildAssets } from "./build.ts";
import { LINE_COLORS } from "./routes/events/[ticker].tsx";
import { createPortalFixture } from "./testing/portal.ts";
import { SEED } from "./testing/seed.ts";

const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";
const OUTPUT = new URL("../.data/test-output/portal/", import.meta.url).pathname;

async function importPlaywright() {
  Deno.env.set("__IS_WSL_TEST__", "1"); // see browser_test.ts
  return await import("playwright-core");
}

/** Pixels of `color` (#rrggbb, ±24 per channel) on the chart's canvases. */
function colorPixels(page: Page, color: string): Promise<number> {
  const rgb = [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));
  return page.evaluate((want) => {
    let n = 0;
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>(".chart-frame canvas")) {
      const ctx = canvas.getContext("2d");
      if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (want.every((v, k) => Math.abs(d[i + k] - v) <= 24)) n++;
      }
    }
    return n;
  }, rgb);
}

async function rowTickers(page: Page): Promise<string[]> {
  return await page.$$eval("#results tbody tr", (rows) => rows.map((r) => r.dataset.ticker ?? ""));
}

Deno.test(testRequiring(
  await fileRequirement("Chromium", CHROMIUM),
  "in Chromium the event chart, sorted browse, trades and opportunities show what the database holds",
  async (t) => {
    const buildDir = await Deno.makeTempDir({ prefix: "portal-research-" });
    const userDataDir = await Deno.makeTempDir({ prefix: "portal-chromium-" });
    await Deno.mkdir(OUTPUT, { recursive: true });
    await buildAssets({ outDir: buildDir });
    const f = await createPortalFixture({ assets: await loadAssets(buildDir) });
    const sql = f.db.sql;
    const server = Deno.serve(
      { port: 0, hostname: "127.0.0.1", onListen: () => {} },
      (request) => f.app.fetch(request),
    );
    const base = `http://127.0.0.1:${server.addr.port}`;
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
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

      await t.step("the event chart draws one line per market", async () => {
        await page.goto(`${base}/events/${SEED.event}`);
        await page.waitForSelector('.event-chart .chart-frame[data-status="ready"]');
        const markets = await sql`SELECT ticker FROM markets WHERE event_ticker = ${SEED.event}`;
        assertEquals(
          await page.getAttribute(".event-chart .chart-frame", "data-lines"),
          String(markets.length),
        );
        for (const color of LINE_COLORS.slice(0, markets.length)) {
          let pixels = 0;
          for (let i = 0; i < 100 && pixels < 50; i++) {
            pixels = await colorPixels(page, color);
            if (pixels < 50) await page.evaluate(() => new Promise(requestAnimationFrame));
          }
          assertOk(pixels >= 50, `line ${color} drawn (${pixels} pixels)`);
        }
        await page.click('.event-chart button[data-period="1440"]');
        await page.waitForSelector('.chart-frame[data-period="1440"][data-status="ready"]');
        // The line count is set once the new period's lines are drawn: give it a moment, bounded.
        await page.waitForSelector('.event-chart .chart-frame[data-lines="1"]', { timeout: 10_000 })
          .catch(() => {});
        assertEquals(await page.getAttribute(".event-chart .chart-frame", "data-lines"), "1");
        await page.screenshot({ path: `${OUTPUT}event.png`, fullPage: true });
      });

      await t.step("sorting and each filter change the rows as the database says", async () => {
        await page.goto(`${base}/browse`);
        await page.click('p.sorts a[data-sort="volume"]');
        await page.waitForURL(/sort=volume&order=desc/);
        const byVolume = await sql<{ ticker: string }[]>`
          SELECT ticker FROM markets ORDER BY volume DESC NULLS LAST, ticker DESC LIMIT 50`;
        assertEquals(await rowTickers(page), byVolume.map((r) => r.ticker));
        await page.click('p.sorts a[data-sort="volume"]');
        await page.waitForURL(/sort=volume&order=asc/);
        const ascending = await sql<{ ticker: string }[]>`
          SELECT ticker FROM markets ORDER BY volume ASC NULLS LAST, ticker ASC LIMIT 50`;
        assertEquals(await rowTickers(page), ascending.map((r) => r.ticker));

        await page.selectOption('select[name="category"]', ["Climate", "Economics"]);
        await Promise.all([page.waitForURL(/category=/), page.click("form.filters button")]);
        const categories = await sql<{ ticker: string }[]>`
          SELECT ticker FROM markets WHERE series_ticker IN ('KXRAIN', 'KXFED')
          ORDER BY volume ASC NULLS LAST, ticker`;
        assertEquals(await rowTickers(page), categories.map((r) => r.ticker));

        await page.goto(`${base}/browse?sort=close_time`);
        await page.selectOption('select[name="frequency"]', ["daily"]);
        await page.fill('input[name="closes_within"]', "5");
        await Promise.all([page.waitForURL(/closes_within=5/), page.click("form.filters button")]);
        const closing = await sql<{ ticker: string }[]>`
          SELECT m.ticker FROM markets m JOIN series s ON s.ticker = m.series_ticker
          WHERE s.frequency = 'daily' AND m.close_time >= '2026-01-12T12:00:00Z'
            AND m.close_time < '2026-01-12T17:00:00Z'
          ORDER BY m.close_time, m.ticker`;
        assertOk(closing.length > 0);
        assertEquals(await rowTickers(page), closing.map((r) => r.ticker));
      });

      await t.step("sparklines render without extra requests", async () => {
        const requests: string[] = [];
        const onRequest = (r: { url(): string }) => requests.push(r.url());
        page.on("request", onRequest);
        await page.goto(`${base}/browse?event=${SEED.event}`);
        page.off("request", onRequest);
        assertEquals(await page.locator("svg.sparkline polyline").count(), 2);
        const box = await page.locator("svg.sparkline").first().boundingBox();
        assertOk(box && box.width > 50 && box.height > 10, "the sparkline has a size");
        const other = requests.filter((u) => u.startsWith("http") && !u.includes("/static/build/"));
        assertEquals(other.length, 1, other.join(" "));
        assertEquals(await page.locator("script").count(), 0);
        await page.screenshot({ path: `${OUTPUT}browse-sparklines.png`, fullPage: true });
      });

      await t.step("the trades table pages and its CSV equals the database rows", async () => {
        const all = await sql<{ trade_id: string }[]>`
          SELECT trade_id FROM trades WHERE market_ticker = ${SEED.activeMarket}
          ORDER BY created_time DESC, trade_id DESC`;
        await page.goto(`${base}/markets/${SEED.activeMarket}`);
        await Promise.all([
          page.waitForURL(/\/trades$/),
          page.click(`a[href="/markets/${SEED.activeMarket}/trades"]`),
        ]);
        const seen: string[] = [];
        for (let i = 0; i < 10; i++) {
          seen.push(
            ...await page.$$eval("#trades tbody tr", (r) => r.map((e) => e.dataset.tradeId ?? "")),
          );
          const next = page.locator('p.pager a[rel="next"]');
          if (await next.count() === 0) break;
          await Promise.all([page.waitForURL(/before_id=/), next.click()]);
        }
        assertEquals(seen, all.map((r) => r.trade_id));
        const csv = await page.evaluate(
          (url) => fetch(url).then((r) => r.text()),
          `/api/markets/${SEED.activeMarket}/trades?format=csv`,
        );
        const rows = await sql<{ line: string }[]>`
          SELECT concat_ws(',', trade_id,
            to_char(created_time AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
            yes_price, no_price, count, taker_side, source) AS line
          FROM trades WHERE market_ticker = ${SEED.activeMarket} ORDER BY created_time, trade_id`;
        assertEquals(csv.trimEnd().split("\n").slice(1), rows.map((r) => r.line));
      });

      await t.step("opportunities list exactly the seeded off-by-threshold events", async () => {
        await page.goto(`${base}/opportunities`);
        const events = await page.$$eval(
          "#opportunities tbody tr",
          (rows) => rows.map((r) => r.dataset.event),
        );
        assertEquals(events, [SEED.event]); // asks 0.57 + 0.13: every other event has a closed market
        await page.screenshot({ path: `${OUTPUT}opportunities.png`, fullPage: true });
        await Promise.all([
          page.waitForURL(new RegExp(`/events/${SEED.event}$`)),
          page.click(`#opportunities a[href="/events/${SEED.event}"]`),
        ]);
      });

      await t.step("no page logged an error or a Content-Security-Policy violation", () => {
        assertEquals(problems, []);
      });
    } finally {
      await context.close();
      await server.shutdown();
      await f.close();
      await Deno.remove(buildDir, { recursive: true });
      await Deno.remove(userDataDir, { recursive: true });
    }
  },
));
