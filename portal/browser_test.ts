/**
 * Browser tests: Debian's Chromium driven by playwright-core against a real server over seeded
 * data and the real bundle. Screenshots go to .data/test-output/portal/ (git-ignored).
 */
import { join } from "node:path";
import type { Page } from "playwright-core";
import { assertEquals, assertOk } from "../lib/testing/assert.ts";
import { fileRequirement, testRequiring } from "../lib/testing/requirements.ts";
import { loadAssets } from "./assets.ts";
import { buildAssets } from "./build.ts";
import { createPortalFixture } from "./testing/portal.ts";
import { SEED } from "./testing/seed.ts";

/** Debian's Chromium by default; `CHROMIUM_PATH` points elsewhere (e.g. Chrome on GitHub runners). */
const CHROMIUM = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

/**
 * Imports playwright-core. Its bundled `is-wsl` probes /proc/sys/fs/binfmt_misc at import time
 * unless __IS_WSL_TEST__ is set; Deno grants /proc paths only with --allow-all, so the probe is
 * deferred (it only matters for opening URLs on WSL, which these tests never do).
 */
async function importPlaywright() {
  Deno.env.set("__IS_WSL_TEST__", "1");
  return await import("playwright-core");
}
const OUTPUT = new URL("../.data/test-output/portal/", import.meta.url).pathname;

/** Pixels of the candle colours (up green, down red) drawn on the chart's canvases. */
function candlePixels(page: Page): Promise<number> {
  return page.evaluate(() => {
    let colored = 0;
    for (const canvas of document.querySelectorAll<HTMLCanvasElement>(".chart-frame canvas")) {
      const ctx = canvas.getContext("2d");
      if (!ctx || canvas.width === 0 || canvas.height === 0) continue;
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        const [r, g, b] = [d[i], d[i + 1], d[i + 2]];
        if ((g > r + 40 && g > b) || (r > g + 60 && r > b + 40)) colored++;
      }
    }
    return colored;
  });
}

/**
 * Waits until the chart has painted candles (the library draws on an animation frame, later on a
 * loaded machine) and returns the count; gives up, returning the last count, after `tries` polls.
 */
async function paintedCandlePixels(page: Page, tries = 100): Promise<number> {
  let pixels = 0;
  for (let i = 0; i < tries && pixels <= 200; i++) {
    pixels = await candlePixels(page);
    if (pixels <= 200) await page.evaluate(() => new Promise((r) => requestAnimationFrame(r)));
  }
  return pixels;
}

async function chartState(page: Page) {
  return await page.$eval(".chart-frame", (el) => ({
    period: (el as HTMLElement).dataset.period,
    count: Number((el as HTMLElement).dataset.candleCount),
    first: (el as HTMLElement).dataset.first,
  }));
}

Deno.test(testRequiring(
  await fileRequirement("Chromium", CHROMIUM),
  "in Chromium the overview renders, the chart draws and switches period, search narrows",
  async (t) => {
    const buildDir = await Deno.makeTempDir({ prefix: "portal-browser-" });
    const userDataDir = await Deno.makeTempDir({ prefix: "portal-chromium-" });
    await Deno.mkdir(OUTPUT, { recursive: true });
    await buildAssets({ outDir: buildDir });
    const f = await createPortalFixture({ assets: await loadAssets(buildDir) });
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
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
      ],
    });
    const problems: string[] = [];
    try {
      const page = await context.newPage();
      page.on("console", (m) => {
        if (m.type() === "error" || m.text().includes("Content Security Policy")) {
          problems.push(`console ${m.type()}: ${m.text()}`);
        }
      });
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));

      await t.step("the overview renders its figures and chart without any script", async () => {
        const res = await page.goto(`${base}/`);
        assertEquals(res?.status(), 200);
        assertEquals(await page.textContent("h1"), "Ingest health");
        assertEquals(await page.textContent('[data-testid="market-count"]'), "68");
        assertEquals(await page.locator("svg.bar-chart rect.bar").count(), 360);
        assertEquals(await page.locator("script").count(), 0);
        await page.screenshot({ path: join(OUTPUT, "overview.png"), fullPage: true });
      });

      await t.step(
        "the market chart hydrates and draws candles on a non-blank canvas",
        async () => {
          await page.goto(`${base}/markets/${SEED.activeMarket}`);
          await page.waitForSelector('[data-island][data-hydrated="true"]');
          await page.waitForSelector('.chart-frame[data-status="ready"]');
          const state = await chartState(page);
          assertEquals(state.period, "60");
          assertEquals(state.count, SEED.activeCandles[60]);
          await page.waitForFunction(() =>
            document.querySelectorAll(".chart-frame canvas").length > 0
          );
          const pixels = await paintedCandlePixels(page);
          assertOk(pixels > 200, `only ${pixels} candle-coloured pixels`);
          await page.locator(".candle-chart").screenshot({
            path: join(OUTPUT, "market-chart-1h.png"),
          });
          await page.screenshot({ path: join(OUTPUT, "market.png"), fullPage: true });
        },
      );

      await t.step("switching the period loads and draws other candles", async () => {
        const before = await chartState(page);
        await page.click('.chart-controls button[data-period="1"]');
        await page.waitForSelector('.chart-frame[data-period="1"][data-status="ready"]');
        const minute = await chartState(page);
        assertEquals(minute.count, SEED.activeCandles[1]);
        assertOk(minute.first !== before.first, "the first candle changed");
        assertEquals(
          await page.getAttribute('.chart-controls button[data-period="1"]', "aria-pressed"),
          "true",
        );
        assertOk((await paintedCandlePixels(page)) > 200);
        await page.locator(".candle-chart").screenshot({
          path: join(OUTPUT, "market-chart-1m.png"),
        });
        await page.click('.chart-controls button[data-period="1440"]');
        await page.waitForSelector('.chart-frame[data-period="1440"][data-status="ready"]');
        assertEquals((await chartState(page)).count, SEED.activeCandles[1440]);
        assertOk((await page.textContent(".chart-caption"))!.includes("7 1d candles"));
      });

      await t.step("searching narrows the market list", async () => {
        await page.goto(`${base}/browse`);
        assertEquals(await page.locator("#results tbody tr").count(), 50);
        await page.fill("#browse-q", "bitcoin");
        await Promise.all([
          page.waitForURL(/q=bitcoin/),
          page.click("form.filters button[type=submit]"),
        ]);
        assertEquals(await page.locator("#results tbody tr").count(), 4);
        assertEquals(await page.locator("script").count(), 0);
        await page.screenshot({ path: join(OUTPUT, "browse-search.png"), fullPage: true });
        await page.fill('header form.search input[name="q"]', SEED.activeMarket.toLowerCase());
        await Promise.all([
          page.waitForURL(new RegExp(`/markets/${SEED.activeMarket}$`)),
          page.press('header form.search input[name="q"]', "Enter"),
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
