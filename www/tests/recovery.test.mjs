// A file reader's crash in real Chromium. With the core's pre-scans off
// (`?testing=no-prescans`), a workbook that crashes calamine reaches it and
// traps the Wasm instance that reads files, inside the page's worker. The
// package replaces that instance: the page shows `corrupt_file`, typing is
// still counted by the meter's untouched instance, and the next good file
// is checked correctly. Nothing is logged as an error.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fixturesDir, openApp } from "../../tests/js/support.mjs";

let app;
let page;
const consoleErrors = [];

before(async () => {
  app = await openApp({ path: "/?testing=no-prescans" });
  page = app.page;
  page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));
  page.on("worker", (worker) =>
    worker.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text())),
  );
});

after(async () => {
  await app?.close();
});

const count = async () => Number((await page.textContent("#meter-count")).split(" / ")[0].replaceAll(",", ""));

test("a workbook that traps its reader is reported as damaged, and the page carries on", async () => {
  await page.fill("#prompt", "Which customers renewed early this spring?");
  await page.waitForFunction(() => Number(document.querySelector("#meter-count")?.textContent.split(" / ")[0]) > 0);
  const typed = await count();

  for (const name of ["sheet_xlsb_cells_empty_index.xlsb", "sheet_xlsb_sheet_link_overrun.xlsb"]) {
    await page.setInputFiles("#file", join(fixturesDir, name));
    const issue = page.locator('#issues li[data-code="corrupt_file"]');
    await issue.waitFor();
    assert.match(await issue.textContent(), /Excel binary workbook \(\.xlsb\).*cannot be read/s);
    await page.click("#clear-file");

    // Typing is still counted.
    const before = await count();
    await page.locator("#prompt").press("End");
    await page.keyboard.type(" And which ones left?");
    await page.waitForFunction((before) => {
      const now = Number(document.querySelector("#meter-count").textContent.split(" / ")[0].replaceAll(",", ""));
      return now > before;
    }, before);
    assert.ok((await count()) > typed);

    // The next good file is checked in the fresh instance.
    await page.setInputFiles("#file", join(fixturesDir, "customers_ok.csv"));
    await page.waitForSelector('#report[data-input="file"]:not([hidden])');
    assert.match(await page.textContent("#report-facts"), /Table \(delimited text\)/);
    assert.equal(await page.locator("#issues li[data-code]").count(), 0);
    assert.match(await page.textContent("#issues"), /No problems found/);
    assert.equal(await page.isEnabled("#send"), true);
    await page.click("#clear-file");
  }
});

test("no script errors on the page or in its worker", () => {
  assert.deepStrictEqual(app.pageErrors.map(String), []);
  assert.deepStrictEqual(consoleErrors, []);
});
