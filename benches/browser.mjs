// Browser timings of the web app in Debian's Chromium (headless), against
// the real server on 127.0.0.1:
//  - page load until the text box works (contract loaded), until the Wasm
//    code is ready in the worker, and until the token meter is ready (the
//    vocabulary fetched or read from the Cache API, installed, first count);
//  - the meter update after one keystroke on a 10 KB, 100 KB and 1 MB
//    prompt: the worker's edit alone, and from the input event to the
//    updated DOM.
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
    cold.push(await page.evaluate(() => window.preflightTimings));
    await browser.close();
  }
  // Warm loads: the same profile, reloaded.
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  const warm = [];
  for (let i = 0; i < LOADS; i++) {
    await page.goto(server.url);
    await page.waitForSelector('#meter[data-ready="true"]', { timeout: 60_000 });
    warm.push(await page.evaluate(() => window.preflightTimings));
  }
  for (const [name, loads] of [["cold profile", cold], ["warm (reload)", warm]]) {
    for (const field of ["codeReadyMs", "meterReadyMs"]) {
      const xs = loads.map((t) => t[field]);
      console.log(`page load -> ${field}, ${name}: median ${ms(median(xs))}, min ${ms(Math.min(...xs))}, max ${ms(Math.max(...xs))} (${LOADS} loads; vocabulary from ${loads.at(-1).tokenizer.source})`);
    }
  }

  await page.selectOption("#tier", "paid");
  for (const size of [10_000, 100_000, 1_000_000]) {
    await page.fill("#prompt", textOf(size));
    // Type in the middle of the text.
    await page.evaluate((at) => {
      const box = document.querySelector("#prompt");
      box.focus();
      box.setSelectionRange(at, at);
    }, Math.floor(size / 2));
    await page.evaluate(() => (window.preflightTimings.updates = []));
    for (let i = 0; i < KEYSTROKES; i++) {
      await page.keyboard.type(i % 2 ? "a" : " ");
      await page.waitForFunction((n) => window.preflightTimings.updates.length >= n, i + 1);
    }
    const updates = await page.evaluate(() => window.preflightTimings.updates);
    const check = updates.map((u) => u.meterMs);
    const total = updates.map((u) => u.sinceInputMs);
    console.log(
      `keystroke on a ${size / 1000} KB prompt (${updates.length} keys): worker edit median ${ms(median(check))}, p95 ${ms(p95(check))}; ` +
        `input event -> meter updated median ${ms(median(total))}, p95 ${ms(p95(total))}`,
    );
  }
  await browser.close();
} finally {
  await server.stop();
}
