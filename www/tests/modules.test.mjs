// The page's first download is the small meter module: the full module
// (file readers, prepare) is fetched only when a file may come or comes.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixturesDir, launchChromium, startServer } from "../../tests/js/support.mjs";

let server;
let browser;
let page;
const wasm = [];

before(async () => {
  server = await startServer();
  browser = await launchChromium();
  page = await browser.context.newPage();
  // Workers' requests are the page's too: record every module fetched.
  browser.context.on("request", (request) => {
    const path = new URL(request.url()).pathname;
    if (path.endsWith(".wasm")) wasm.push(path);
  });
  await page.goto(server.url);
  await page.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("typing needs only the meter module", async () => {
  await page.fill("#prompt", "Which customers in Lisbon renewed early?");
  await page.waitForFunction(() => document.querySelector("#meter-count")?.textContent.includes("/"));
  assert.deepStrictEqual(wasm, ["/pkg/dist/meter/prompt_preflight_bg.wasm"]);
});

test("a file brings the full module, once, and is read by it", async () => {
  await page.setInputFiles("#file", join(fixturesDir, "sheet_customers.xlsx"));
  await page.waitForFunction(() => /Excel workbook/.test(document.querySelector("#report")?.textContent ?? ""), null, {
    timeout: 30_000,
  });
  assert.deepStrictEqual(wasm, ["/pkg/dist/meter/prompt_preflight_bg.wasm", "/pkg/dist/prompt_preflight_bg.wasm"]);
  await page.click("#clear-file");
  await page.setInputFiles("#file", join(fixturesDir, "customers_ok.csv"));
  await page.waitForFunction(() => /Table/.test(document.querySelector("#report")?.textContent ?? ""));
  assert.equal(wasm.length, 2, "the full module is fetched once");
});

test("before the vocabulary arrives, the meter shows a labelled estimate, then the exact count", async () => {
  const fresh = await browser.context.newPage();
  // Hold the vocabulary back, so the estimate can be seen.
  let release;
  const held = new Promise((resolve) => (release = resolve));
  await fresh.route("**/o200k_base.bin*", async (route) => {
    await held;
    await route.continue();
  });
  await fresh.goto(`${server.url}/healthz`);
  await fresh.evaluate(() => caches.delete("prompt-preflight-tokenizers-v1"));
  await fresh.goto(server.url);
  await fresh.waitForSelector("#prompt:not([disabled])");
  await fresh.fill("#prompt", "Which customers in Lisbon renewed early this spring?");
  await fresh.waitForSelector('#meter[data-exact="false"]');
  assert.match(await fresh.textContent("#meter-count"), /^about \d+ \/ 2,000 tokens$/);
  assert.match(await fresh.textContent("#meter-cost"), /Loading the exact token counter/);
  release();
  await fresh.waitForSelector('#meter[data-exact="true"]', { timeout: 30_000 });
  assert.match(await fresh.textContent("#meter-count"), /^\d+ \/ 2,000 tokens$/);
  await fresh.close();
});

test("issues say their severity in words, sizes read as people read them, and Markdown can be picked", async () => {
  await page.click("#clear-file").catch(() => {});
  await page.setInputFiles("#file", join(fixturesDir, "customers_missing_email.csv"));
  await page.waitForSelector('#issues li[data-code="missing_column"]');
  const severity = await page.textContent('#issues li[data-code="missing_column"] .severity');
  assert.equal(severity, "Error: ");
  const facts = await page.$$eval("#report-facts dt, #report-facts dd", (cells) => cells.map((c) => c.textContent));
  const size = facts[facts.indexOf("Size") + 1];
  assert.match(size, /^\d+ bytes$|^\d+(\.\d)? KB$/);
  const accept = await page.getAttribute("#file", "accept");
  assert.ok(accept.split(",").includes(".md"), accept);
});

test("the page has its own icon, so the browser asks for no favicon.ico", async () => {
  const fresh = await browser.context.newPage();
  const asked = [];
  fresh.on("request", (request) => asked.push(new URL(request.url()).pathname));
  await fresh.goto(server.url);
  await fresh.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
  assert.ok(!asked.includes("/favicon.ico"), asked.join(" "));
  assert.match(await fresh.getAttribute('link[rel="icon"]', "href"), /^data:image\/svg\+xml/);
  await fresh.close();
});

test("the layout fits a 390 px phone: nothing is wider than the screen, typing over the limit or with a workbook's issues", async () => {
  const phone = await browser.context.newPage();
  await phone.setViewportSize({ width: 390, height: 844 });
  await phone.goto(server.url);
  await phone.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
  const widest = () =>
    phone.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      wider: [...document.querySelectorAll("body *")]
        .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map((e) => `${e.tagName.toLowerCase()}#${e.id}`),
    }));
  assert.deepStrictEqual(await widest(), { page: 390, wider: [] });
  await phone.fill("#prompt", "Renewals rose in the north. ".repeat(400));
  await phone.waitForSelector('#meter[data-state="over"]');
  assert.deepStrictEqual(await widest(), { page: 390, wider: [] });
  await phone.setInputFiles("#file", join(fixturesDir, "sheet_messy.xlsx"));
  await phone.waitForSelector("#issues li", { timeout: 30_000 });
  assert.deepStrictEqual(await widest(), { page: 390, wider: [] });
  await phone.close();
});
