/**
 * The browser entry (bundled by portal/build.ts): hydrates every `data-island` element with the
 * island component of that name and its JSON props. Nothing else runs in the browser.
 */
import { type ComponentType, h, hydrate } from "preact";
import { CandleChart } from "./islands/candle_chart.tsx";
import { EventChart } from "./islands/event_chart.tsx";

// deno-lint-ignore no-explicit-any
const ISLANDS: Record<string, ComponentType<any>> = { CandleChart, EventChart };

for (const element of document.querySelectorAll<HTMLElement>("[data-island]")) {
  const component = ISLANDS[element.dataset.island ?? ""];
  if (!component) {
    console.error(`unknown island ${element.dataset.island}`);
    continue;
  }
  hydrate(h(component, JSON.parse(element.dataset.props ?? "{}")), element);
  element.dataset.hydrated = "true";
}
