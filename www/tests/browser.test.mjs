// The web app in real Chromium (Debian's, driven by playwright-core),
// against the real server: the live meter, a dropped CSV, and Send.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Preflight, countTokens } from "../../pkg/node.js";
import { fixturesDir, openApp } from "../../tests/js/support.mjs";

let server;
let browser;
let page;
let pageErrors = [];

const SENTENCES = [
  "Our customers in Lisbon renewed early this spring.",
  "Most sign-ups came from the newsletter in March.",
  "Support tickets fell by a third after the new onboarding guide.",
  "Enterprise accounts asked for single sign-on and audit logs.",
];

/** Prose of at least `tokens` tokens (o200k_base, the contract's encoding). */
function proseOf(tokens) {
  let text = "";
  for (let i = 0; countTokens(text, "o200k_base").count < tokens; i++) {
    text += `${SENTENCES[i % SENTENCES.length]} `;
  }
  return text;
}

let app;
before(async () => {
  app = await openApp();
  ({ server, browser, page, pageErrors } = app);
});

after(async () => {
  await app?.close();
});

test("the page loads the contract and its tiers", async () => {
  const tiers = await page.$$eval("#tier option", (options) => options.map((o) => o.value));
  assert.deepStrictEqual(tiers, ["free", "paid"]);
  assert.match(await page.textContent("#contract-description"), /customer/i);
});

test("typing near and past the limit warns, then blocks Send", async () => {
  await page.selectOption("#tier", "free");
  // Start just under the warning threshold (1,600 of 2,000), then type.
  await page.fill("#prompt", proseOf(1_560));
  await page.waitForSelector('#meter[data-state="ok"]');
  await page.locator("#prompt").press("End");
  await page.keyboard.type(" Renewals in Porto grew steadily. ".repeat(12)); // ~80 tokens
  await page.waitForSelector('#meter[data-state="warn"]');
  await page.waitForSelector('#issues li[data-code="near_token_limit"]');
  assert.match(await page.textContent('#issues li[data-code="near_token_limit"]'), /of the 2,000 allowed per request on the free plan/);
  assert.equal(await page.getAttribute("#report-verdict", "data-state"), "warnings");
  assert.equal(await page.isEnabled("#send"), true, "a warning does not block");

  // Paste past the limit, then keep typing: blocked, with what to do.
  await page.fill("#prompt", proseOf(1_995));
  await page.locator("#prompt").press("End");
  await page.keyboard.type(" More notes about renewals and churn in the north.");
  await page.waitForSelector('#meter[data-state="over"]');
  await page.waitForSelector('#issues li[data-code="over_token_limit"]');
  const message = await page.textContent('#issues li[data-code="over_token_limit"]');
  // One verdict on screen: the report's, in the core's words.
  assert.match(await page.textContent("#report-verdict"), /^Too long for your plan: [\d,]+ tokens where 2,000 fit\.$/);
  assert.doesNotMatch(await page.textContent("#report"), /No problems found/);
  assert.match(message, /the free plan allows 2,000 per request/);
  // customer-list refuses long input, so splitting is not offered.
  assert.match(message, /keep only the parts that matter to your question/);
  assert.doesNotMatch(message, /split/);
  assert.match(message, /paid plan allows 8,000/);
  assert.equal(await page.isEnabled("#send"), false, "over the limit blocks Send");
  const count = Number((await page.textContent("#meter-count")).split(" / ")[0].replaceAll(",", ""));
  assert.ok(count > 2_000, `meter shows ${count}`);

  // The same text fits the paid plan.
  await page.selectOption("#tier", "paid");
  await page.waitForSelector('#meter[data-state="ok"]');
  assert.equal(await page.isEnabled("#send"), true);
});

test("the tokenizer vocabulary arrives after the page, is cached, and the meter shows cost", async () => {
  const fresh = await browser.context.newPage();
  await fresh.goto(`${server.url}/healthz`);
  await fresh.evaluate(() => caches.delete("prompt-preflight-tokenizers-v1"));
  await fresh.goto(server.url);
  // The text box works before the vocabulary is in.
  await fresh.waitForSelector("#prompt:not([disabled])");
  await fresh.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
  const vocabBytes = readFileSync(join(fixturesDir, "..", "..", "data", "o200k_base.bin")).length;
  const first = await fresh.evaluate(() => window.preflightTimings.tokenizer);
  assert.deepStrictEqual([first.source, first.bytes], ["network", vocabBytes]);
  await fresh.reload();
  await fresh.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
  const second = await fresh.evaluate(() => window.preflightTimings.tokenizer);
  assert.deepStrictEqual([second.source, second.bytes], ["cache", vocabBytes]);
  await fresh.fill("#prompt", "Which customers are most likely to upgrade?");
  await fresh.waitForFunction(() => /at most \$/.test(document.querySelector("#meter-cost").textContent));
  const cost = await fresh.textContent("#meter-cost");
  assert.match(cost, /gpt-4o-mini/);
  assert.match(cost, /500-token answer/);
  await fresh.close();
});

test("the server sends the vocabulary brotli-compressed", async () => {
  const response = await fetch(`${server.url}/pkg/dist/o200k_base.bin`, { headers: { "accept-encoding": "br" } });
  assert.equal(response.headers.get("content-encoding"), "br");
  const body = new Uint8Array(await response.arrayBuffer()); // fetch decompresses
  assert.deepStrictEqual(body, new Uint8Array(readFileSync(join(fixturesDir, "..", "..", "data", "o200k_base.bin"))));
});

test("typing in a 1 MB document keeps the exact count", async () => {
  const contract = new Preflight(readFileSync(join(fixturesDir, "..", "..", "contracts", "customer-list", "1.0.0.toml"), "utf8"));
  await page.selectOption("#tier", "paid");
  let text = proseOf(200).repeat(1).padEnd(1_000_000, " Renewals in Porto grew steadily.");
  await page.fill("#prompt", text);
  const expectCount = async (value) => {
    const want = contract.checkText("paid", value).tokens.input;
    await page.waitForFunction(
      (n) => document.querySelector("#meter-count").textContent.startsWith(`${n.toLocaleString("en-US")} /`),
      want,
      { timeout: 30_000 },
    );
  };
  await expectCount(text);
  // Type in the middle, then delete what was typed and a bit more.
  await page.evaluate(() => {
    const box = document.querySelector("#prompt");
    box.focus();
    box.setSelectionRange(500_000, 500_000);
  });
  await page.keyboard.type(" and Braga too");
  text = `${text.slice(0, 500_000)} and Braga too${text.slice(500_000)}`;
  await expectCount(text);
  for (let i = 0; i < 20; i++) await page.keyboard.press("Backspace");
  text = text.slice(0, 500_000 - 6) + text.slice(500_000 + " and Braga too".length);
  await expectCount(text);
  assert.equal(await page.inputValue("#prompt"), text);
  const updates = await page.evaluate(() => window.preflightTimings.updates.filter((u) => u.length > 900_000));
  assert.ok(updates.length >= 10, "each keystroke was counted as an edit");
  assert.equal(await page.getAttribute("#meter", "data-state"), "over");
  await page.fill("#prompt", "");
});

test("over the limit, the upgrade button switches to the bigger plan", async () => {
  await page.selectOption("#tier", "free");
  await page.fill("#prompt", proseOf(2_100));
  await page.waitForSelector('#meter[data-state="over"]');
  await page.click('#meter-actions button[data-action="upgrade"]');
  await page.waitForSelector('#meter[data-state="ok"]');
  assert.equal(await page.inputValue("#tier"), "paid");
  await page.fill("#prompt", "");
});

test("dropping a CSV with a missing column names the column before any upload", async () => {
  const requests = [];
  const onRequest = (request) => request.method() === "POST" && requests.push(request.url());
  page.on("request", onRequest);
  const csv = readFileSync(join(fixturesDir, "customers_missing_email.csv"), "utf8");
  const dataTransfer = await page.evaluateHandle((content) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([content], "customers.csv", { type: "text/csv" }));
    return transfer;
  }, csv);
  await page.dispatchEvent("#dropzone", "drop", { dataTransfer });
  const issue = page.locator('#issues li[data-code="missing_column"]');
  await issue.waitFor();
  assert.match(await issue.textContent(), /missing the column 'email'/);
  assert.match(await page.textContent("#report-facts"), /Table \(delimited text\)/);
  assert.equal(await page.isEnabled("#send"), false, "an error blocks Send");
  page.off("request", onRequest);
  assert.deepStrictEqual(requests, [], "nothing was uploaded");
  await page.click("#clear-file");
});

test("Send shows the server's verdict for an accepted file", async () => {
  await page.setInputFiles("#file", join(fixturesDir, "customers_ok.csv"));
  await page.waitForSelector('#report[data-input="file"]:not([hidden])');
  assert.equal(await page.isEnabled("#send"), true);
  await page.click("#send");
  await page.waitForSelector('#verdict:not([hidden]):not([data-status="running"])');
  assert.equal(await page.getAttribute("#verdict", "data-ok"), "true");
  assert.match(await page.textContent("#verdict-title"), /^Checked and ready: this server has no model key/);
  assert.equal(await page.getAttribute("#verdict", "data-matches-browser"), "true");
  assert.match(await page.textContent("#answer"), /^\[Dry run: no model was called\.\]/, "a labelled dry run, never a pretend answer");
  const payload = JSON.parse(await page.textContent("#payload"));
  assert.equal(payload.model, "gpt-4o-mini");
  assert.match(payload.messages.at(-1).content, /Ada Lovelace/);
  await page.click("#clear-file");
});

test("Send shows the server's verdict for typed text", async () => {
  await page.selectOption("#tier", "free");
  await page.fill("#prompt", "Ada renewed early and asked about the pro plan; Grace wants audit logs.");
  await page.waitForSelector('#report-verdict[data-state="ready"]');
  await page.click("#send");
  await page.waitForSelector('#verdict[data-ok="true"]');
  assert.equal(await page.getAttribute("#verdict", "data-matches-browser"), "true");
  assert.match(await page.textContent("#verdict-note"), /Dry run: no model was called \(no provider key is configured\)/);
  const payload = JSON.parse(await page.textContent("#payload"));
  assert.match(payload.messages.at(-1).content, /asked about the pro plan/);
});

test("a dropped workbook shows its format and sheets, checked off the main thread", async () => {
  await page.setInputFiles("#file", join(fixturesDir, "sheet_customers.ods"));
  await page.waitForSelector('#report[data-input="file"]:not([hidden])');
  const facts = await page.textContent("#report-facts");
  assert.match(facts, /OpenDocument spreadsheet/);
  assert.match(facts, /Sheets/);
  assert.match(facts, /\(used\)/);
  await page.click("#clear-file");
});

test("the page raised no script errors", () => {
  assert.deepStrictEqual(pageErrors.map(String), []);
});
