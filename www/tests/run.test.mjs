// Send runs the contract, in real Chromium against the real server and
// the fake provider (`preflight fake-provider`): a rate-limited request
// shows a wait with its ETA from the provider's hint (not an error), then
// the answer; a long input runs in parts, and the page shows them
// progressing before the combined answer.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openApp } from "../../tests/js/support.mjs";

const NOTES = "Ada renewed early and asked about the pro plan; Grace wants audit logs.";
const opened = [];

after(async () => {
  for (const app of opened) await app.close();
});

async function open(openaiKey, env = {}) {
  const app = await openApp({ server: { openaiKey, env } });
  opened.push(app);
  return app.page;
}

test("a rate-limited request shows a wait with its ETA, then the answer", async () => {
  const page = await open("fake-busy-once");
  await page.selectOption("#tier", "free");
  await page.fill("#prompt", NOTES);
  await page.waitForSelector('#report-verdict[data-state="ready"]');
  await page.click("#send");

  await page.waitForSelector("#run-wait:not([hidden])", { timeout: 10_000 });
  assert.equal(await page.getAttribute("#run-wait", "data-wait-ms"), "2000", "the provider's retry hint");
  assert.match(await page.textContent("#run-wait-message"), /^We're experiencing high demand\. Your request is waiting and should finish in a few seconds\.$/);
  assert.match(await page.textContent("#run-wait-countdown"), /^about [12] seconds? left$/);
  assert.equal(await page.getAttribute("#verdict", "data-status"), "running", "a wait, not an error");
  assert.equal(await page.getAttribute("#verdict", "data-ok"), null);
  assert.equal(await page.isEnabled("#send"), false, "no second request while it waits");

  await page.waitForSelector('#verdict[data-ok="true"]', { timeout: 15_000 });
  assert.equal(await page.isHidden("#run-wait"), true);
  assert.match(await page.textContent("#answer"), /^Fake answer from gpt-4o-mini to \d+ words\.$/);
  assert.equal(await page.textContent("#verdict-title"), "Answered by gpt-4o-mini.");
  assert.match(await page.textContent("#verdict-note"), /^Answered by gpt-4o-mini after it was rate limited once\.$/);
  const attempts = await page.$$eval("#attempts li", (items) => items.map((li) => li.textContent));
  assert.equal(attempts.length, 2);
  assert.match(attempts[0], /^answer: gpt-4o-mini \(openai\), rate limited/);
  assert.match(attempts[1], /^answer: gpt-4o-mini \(openai\), answered, \d+ ms, \d+ tokens$/);
  assert.equal(await page.getAttribute("#verdict", "data-matches-browser"), "true");
});

test("a long input runs in parts, shown as they are answered, then combined", async () => {
  const page = await open("fake-slow-stream");
  await page.selectOption("#contract", "summarise-document");
  await page.waitForFunction(() => document.querySelector("#contract-id").textContent.startsWith("summarise-document"));
  await page.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
  await page.selectOption("#tier", "free");
  // About 3,000 tokens on one line: over the free plan's 2,000.
  const text = "The committee met on Tuesday to review the budget, the hiring plan and the roadmap. ".repeat(170);
  await page.fill("#prompt", text);
  await page.waitForSelector('#meter[data-state="over"]', { timeout: 30_000 });
  // Long input: split, so Send is offered for the prepared parts.
  await page.click('#meter-actions [data-action="split"]');
  await page.waitForSelector('#prepared[data-mode="split"][data-state="done"]', { timeout: 30_000 });
  await page.click("#upload-prepared");
  await page.waitForSelector('#prepared[data-accepted="true"]', { timeout: 30_000 });
  await page.evaluate(() => {
    window.partsSeen = [];
    new MutationObserver(() => {
      const el = document.querySelector("#run-parts");
      if (!el.hidden) window.partsSeen.push(`${el.dataset.answered}/${el.dataset.of}: ${el.textContent}`);
    }).observe(document.querySelector("#run-parts"), { attributes: true, childList: true, subtree: true, characterData: true });
  });
  await page.click("#send");
  await page.waitForSelector('#verdict[data-ok="true"]', { timeout: 60_000 });
  const seen = await page.evaluate(() => window.partsSeen);
  const of = Number(seen.at(-1).split("/")[1].split(":")[0]);
  assert.ok(of >= 2, seen.join("\n"));
  assert.ok(seen.some((s) => s.includes("answered so far")), `progress was shown while parts ran:\n${seen.join("\n")}`);
  assert.match(seen.at(-1), new RegExp(`^${of}/${of}: All ${of} parts answered, then combined\\.$`));
  assert.match(await page.textContent("#verdict-note"), new RegExp(`answered in ${of} parts and the answers were combined`));
  assert.match(await page.textContent("#answer"), /^Fake answer from gpt-4o-mini/);
  const steps = await page.$$eval("#attempts li", (items) => items.map((li) => li.textContent.split(":")[0]));
  assert.deepEqual(steps, [...Array.from({ length: of }, (_, i) => `part ${i + 1} of ${of}`), "combine"]);
});

test("a request that would wait past the deadline is queued: the page shows its place and a countdown", async () => {
  // One request a minute to the provider, and a 5 s deadline: the second
  // Send cannot run in time, so the server queues it as a job.
  const dir = mkdtempSync(join(tmpdir(), "preflight-config-"));
  const config = join(dir, "preflight.toml");
  writeFileSync(config, "[providers.openai]\nrpm = 1\n\n[run]\ndeadline_seconds = 5\n");
  const page = await open("fake-key-1", { PREFLIGHT_CONFIG: config });
  await page.selectOption("#tier", "free");
  await page.fill("#prompt", NOTES);
  await page.waitForSelector('#report-verdict[data-state="ready"]');
  await page.click("#send");
  await page.waitForSelector('#verdict[data-ok="true"]', { timeout: 15_000 });

  await page.fill("#prompt", `${NOTES} Lin asked for a call.`);
  await page.waitForSelector('#report-verdict[data-state="ready"]');
  await page.click("#send");
  await page.waitForSelector("#run-queue:not([hidden])", { timeout: 10_000 });
  assert.equal(await page.textContent("#run-queue"), "Your request is next in the queue.");
  assert.equal(await page.getAttribute("#run-queue", "data-position"), "0");
  assert.match(await page.textContent("#run-wait-message"), /^Your request is queued and should start in /);
  assert.match(await page.textContent("#run-wait-countdown"), /left$/);
  assert.equal(await page.getAttribute("#verdict", "data-status"), "running", "queued, not an error");
  assert.equal(await page.getAttribute("#verdict", "data-ok"), null);
});
