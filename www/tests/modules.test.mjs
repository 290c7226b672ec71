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
