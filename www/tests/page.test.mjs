// The page never contradicts itself, in real Chromium against the real
// server: one verdict (the report's), a question alone gets asked for its
// data, long lists of parts are paged, a long job shows the core's progress
// and can be cancelled, and the words are explained.
// `?testing=slow-progress` makes each step of a long job 400 ms slower (in
// the worker's progress callback), so the bar and Cancel can be seen.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Preflight } from "../../pkg/node.js";
import { fixturesDir, openApp, root } from "../../tests/js/support.mjs";

let app;
let page;

const summarise = new Preflight(readFileSync(join(root, "contracts", "summarise-document", "1.0.0.toml"), "utf8"));

before(async () => {
  app = await openApp({ path: "/?testing=slow-progress" });
  page = app.page;
});

after(async () => {
  await app?.close();
});

/** 40 customers with long notes: a CSV over the free plan's 2,000 tokens. */
function bigCsv() {
  let csv = "name,email,country\n";
  for (let i = 0; i < 400; i++) csv += `Customer number ${i} of the northern region,customer.${i}@example.com,Norway\n`;
  return Buffer.from(csv);
}

test("an upload over the limit has one verdict: the report's, never 'No problems found'", async () => {
  await page.selectOption("#tier", "free");
  await page.setInputFiles("#file", { name: "customers.csv", mimeType: "text/csv", buffer: bigCsv() });
  await page.waitForSelector('#report[data-input="file"]:not([hidden])', { timeout: 60_000 });
  await page.waitForSelector('#meter[data-state="over"]');
  assert.equal(await page.getAttribute("#report-verdict", "data-state"), "over_limit");
  assert.match(await page.textContent("#report-verdict"), /^Too long for your plan: [\d,]+ tokens where 2,000 fit\.$/);
  const report = await page.textContent("#report");
  assert.doesNotMatch(report, /No problems found/);
  assert.match(await page.textContent('#issues li[data-code="over_token_limit"]'), /free plan allows 2,000/);
  // The meter shows figures only: no verdict words of its own.
  assert.doesNotMatch(await page.textContent("#meter"), /Over your limit|Within your plan/);
  assert.equal(await page.isEnabled("#send"), false);
  await page.click("#clear-file");
});

test("a typed question with no data in it is asked for the data", async () => {
  await page.fill("#prompt", "Which customers asked about discounts?");
  const issue = page.locator('#issues li[data-code="question_without_data"]');
  await issue.waitFor();
  assert.match(await issue.textContent(), /the data it is about is missing/);
  assert.match(await issue.textContent(), /paste the table .*name, email and country.*or drop a file/);
  assert.match(await issue.locator("pre").textContent(), /^name,email,country,signup_date,plan,company\nAda Lovelace,ada@example\.com,/);
  assert.equal(await page.getAttribute("#report-verdict", "data-state"), "fix");
  assert.equal(await page.isEnabled("#send"), false);
  assert.doesNotMatch(await page.textContent("#report"), /No problems found/);
  // With the data under it, the question is fine.
  await page.fill("#prompt", "Which customers asked about discounts?\nAda Lovelace asked twice; Grace Hopper once.");
  await page.waitForSelector('#report-verdict[data-state="ready"]');
  assert.equal(await page.locator('#issues li[data-code="question_without_data"]').count(), 0);
  assert.equal(await page.isEnabled("#send"), true);
  await page.fill("#prompt", "");
});

test("a split into many parts is shown a page at a time", async () => {
  await page.selectOption("#contract", "summarise-document");
  await page.waitForFunction(() => document.querySelector("#contract-id").textContent.startsWith("summarise-document"));
  await page.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
  await page.selectOption("#tier", "paid");
  const paragraph = (i) => `Paragraph ${i} is about the harbour, the railway and the market, and what the council decided about each of them in that year. `;
  let text = "";
  // One long line: Chromium lays out a 1 MB textarea of many lines very slowly.
  for (let i = 0; text.length < 1_000_000; i++) text += paragraph(i);
  const split = summarise.checkText("paid", text).issues.find((i) => i.code === "over_token_limit").actions.find((a) => a.kind === "split");
  assert.ok(split && split.parts > 10, `a split of ${split?.parts} parts`);
  await page.fill("#prompt", text);
  await page.click('#meter-actions [data-action="split"]', { timeout: 30_000 });
  // A long prepare shows the core's progress, with Cancel.
  await page.waitForSelector("#progress:not([hidden])", { timeout: 30_000 });
  await page.waitForSelector('#prepared[data-state="done"]', { timeout: 60_000 });
  assert.equal(await page.isHidden("#progress"), true);
  const n = await page.$$eval("#prepared-parts li", (items) => items.length);
  assert.equal(n, 10, "one page of parts");
  const total = split.parts;
  assert.match(await page.textContent("#prepared-pager"), new RegExp(`Parts 1–10 of ${total}`));
  assert.match(await page.textContent("#prepared-parts li:first-child .part-title"), new RegExp(`^Part 1 of ${total} · `));
  await page.click('#prepared-pager button:has-text("Next")');
  assert.match(await page.textContent("#prepared-parts li:first-child .part-title"), new RegExp(`^Part 11 of ${total} · `));
  assert.match(await page.textContent("#prepared-pager"), new RegExp(`Parts 11–${Math.min(20, total)} of ${total}`));
  await page.fill("#prompt", "");
  await page.selectOption("#contract", "customer-list");
  await page.waitForFunction(() => document.querySelector("#contract-id").textContent.startsWith("customer-list"));
  await page.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
});

test("a long file check shows what is being done, and Cancel stops it and keeps the page working", async () => {
  // Every label the bar shows, kept as it changes (a step can pass
  // between two polls on a busy machine).
  await page.evaluate(() => {
    window.labelsSeen = [];
    const label = document.querySelector("#progress-label");
    new MutationObserver(() => window.labelsSeen.push(label.textContent)).observe(label, { childList: true, characterData: true, subtree: true });
  });
  await page.setInputFiles("#file", join(fixturesDir, "sheet_customers.ods"));
  await page.waitForSelector("#progress:not([hidden])", { timeout: 30_000 });
  // The workbook has one sheet; the core says so, then moves the bar on.
  await page.waitForFunction(() => window.labelsSeen.some((l) => /^Reading sheet 1 of 1 \('Customers'\)/.test(l)), null, { timeout: 30_000 });
  await page.waitForFunction(() => {
    const bar = document.querySelector("#progress-bar");
    return bar.value > 0 && bar.value < 1;
  }, null, { timeout: 30_000 });
  assert.match(await page.textContent("#progress-label"), /^(Checking|Counting)/);
  await page.click("#progress-cancel");
  await page.waitForSelector("#progress", { state: "hidden" });
  assert.match(await page.textContent("#send-note"), /cancelled/);
  assert.equal(await page.isEnabled("#send"), false);
  // A fresh worker took over: the next check and typing work.
  await page.click("#clear-file");
  await page.fill("#prompt", "Ada renewed early and asked about the pro plan.");
  await page.waitForSelector('#report-verdict[data-state="ready"]', { timeout: 30_000 });
  await page.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
  assert.match(await page.textContent("#meter-count"), /^[\d,]+ \/ 2,000 tokens$/);
  await page.fill("#prompt", "");
});

test("a glossary explains tokens, instructions and the plan's limit", async () => {
  await page.click("#glossary summary");
  const glossary = await page.textContent("#glossary");
  for (const word of ["Token", "Instructions", "Plan and limit", "Room for the answer", "Trim", "Split into parts"]) {
    assert.match(glossary, new RegExp(word));
  }
  assert.equal(await page.isVisible("#glossary dd"), true);
});
