// Browser timings of the web app in Debian's Chromium (headless), against
// the real server on 127.0.0.1:
//  - page load until the token meter is ready (Wasm fetched, compiled,
//    contract loaded, tokenizer initialised, first count rendered);
//  - the meter update after one keystroke on a 10 KB (and 100 KB) prompt:
//    the core check alone, and from the input event to the updated DOM.
// Run with `make bench` (builds first). Figures go in BENCHMARKS.md.
import { launchChromium, startServer } from "../tests/js/support.mjs";

const LOADS = 7;
const KEYSTROKES = 60;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))];
const ms = (x) => `${x.toFixed(2)} ms`;

const PARAGRAPH =
  "Our customers in Lisbon renewed early this spring, and most sign-ups came from the newsletter in March. " +
  "Support tickets fell by a third after the new onboarding guide; enterprise accounts asked for single sign-on. ";
const textOf = (bytes) => PARAGRAPH.repeat(Math.ceil(bytes / PARAGRAPH.length)).slice(0, bytes);

const server = await startServer();
try {
  // Cold loads: a fresh browser profile each time (no HTTP or code cache).
  const cold = [];
  for (let i = 0; i < LOADS; i++) {
    const browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.goto(server.url);
    await page.waitForSelector('#meter[data-ready="true"]', { timeout: 60_000 });
    cold.push(await page.evaluate(() => window.preflightTimings.meterReadyMs));
    await browser.close();
  }
  // Warm loads: the same profile, reloaded.
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  const warm = [];
  for (let i = 0; i < LOADS; i++) {
    await page.goto(server.url);
    await page.waitForSelector('#meter[data-ready="true"]', { timeout: 60_000 });
    warm.push(await page.evaluate(() => window.preflightTimings.meterReadyMs));
  }
  console.log(`page load -> meter ready, cold profile: median ${ms(median(cold))}, min ${ms(Math.min(...cold))}, max ${ms(Math.max(...cold))} (${LOADS} loads)`);
  console.log(`page load -> meter ready, warm (reload): median ${ms(median(warm))}, min ${ms(Math.min(...warm))}, max ${ms(Math.max(...warm))} (${LOADS} loads)`);

  await page.selectOption("#tier", "paid");
  for (const size of [10_000, 100_000]) {
    await page.fill("#prompt", textOf(size));
    await page.locator("#prompt").press("End");
    await page.evaluate(() => (window.preflightTimings.updates = []));
    for (let i = 0; i < KEYSTROKES; i++) {
      await page.keyboard.type(i % 2 ? "a" : " ");
      await page.waitForFunction((n) => window.preflightTimings.updates.length >= n, i + 1);
    }
    const updates = await page.evaluate(() => window.preflightTimings.updates);
    const check = updates.map((u) => u.checkMs);
    const total = updates.map((u) => u.sinceInputMs);
    console.log(
      `keystroke on a ${size / 1000} KB prompt (${updates.length} keys): core check median ${ms(median(check))}, p95 ${ms(p95(check))}; ` +
        `input event -> meter updated median ${ms(median(total))}, p95 ${ms(p95(total))}`,
    );
  }
  await browser.close();
} finally {
  await server.stop();
}
