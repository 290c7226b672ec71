// The operator page, in real Chromium against the real server and the fake
// provider: after real traffic (runs by two users, a refused check, an
// anonymous file check, a prepared upload and a queued job), every chart is
// drawn by Chart.js and its figures are the server's own
// (`/v1/admin/usage`, `/v1/admin/queue`); a key that is not an operator's
// is asked to sign in again. A screenshot is written to
// target/screenshots/operator.png.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { createKey, fixturesDir, launchChromium, root, startServer } from "../../tests/js/support.mjs";

const NOTES = "Ada renewed early and asked about the pro plan; Grace wants audit logs.";
let server;
let browser;
let bobKey;

before(async () => {
  server = await startServer({ openaiKey: "fake-key-operator" });
  browser = await launchChromium();
  bobKey = await createKey(server.databaseUrl, "bob", "free");
  const run = (key, text, headers = {}) =>
    fetch(`${server.url}/v1/run`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json", ...headers },
      body: JSON.stringify({ contract: "customer-list", text }),
    });
  for (let i = 0; i < 3; i++) assert.equal((await run(server.key, `${NOTES} (${i})`)).status, 200);
  for (let i = 0; i < 2; i++) assert.equal((await run(bobKey, `${NOTES} [bob ${i}]`)).status, 200);
  assert.equal((await run(server.key, "")).status, 422, "an empty input is refused by the check");
  // An anonymous visitor checks a file with a missing column.
  const form = new FormData();
  form.append("contract", "customer-list");
  form.append("file", new Blob([readFileSync(join(fixturesDir, "customers_missing_email.csv"))]), "customers_missing_email.csv");
  assert.equal((await fetch(`${server.url}/v1/check`, { method: "POST", body: form })).status, 200);
  const prepared = await fetch(`${server.url}/v1/prepare`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ contract: "customer-list", text: NOTES }),
  });
  assert.equal(prepared.status, 200);
  // A queued job, followed to its end.
  const accepted = await run(server.key, `${NOTES} (queued)`, { prefer: "respond-async" });
  assert.equal(accepted.status, 202);
  const { job } = await accepted.json();
  for (let i = 0; i < 100; i++) {
    const view = await (await fetch(`${server.url}/v1/jobs/${job.id}`, { headers: { authorization: `Bearer ${server.key}` } })).json();
    if (view.status === "done") break;
    await new Promise((r) => setTimeout(r, 100));
  }
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

const admin = (path) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${server.key}` } }).then((r) => r.json());

/** Rows of the table under a chart: [label, ...values]. */
const rows = (page, chart) =>
  page.$$eval(`#fig-${chart} .chart-table tbody tr`, (trs) => trs.map((tr) => [...tr.children].map((c) => c.textContent)));
const n = (value) => value.toLocaleString("en-US", { maximumFractionDigits: 6 });

test("the operator page charts the server's usage and queue figures", async () => {
  const page = await browser.context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e));
  await page.goto(`${server.url}/operator.html`);
  await page.waitForSelector('#operator[data-state="ready"]', { timeout: 30_000 });
  const usage = await admin("/v1/admin/usage?days=30");
  const queue = await admin("/v1/admin/queue?minutes=60");

  // What was sent is what is recorded: 3 + 2 + 1 runs, a check, a prepare, a job.
  assert.equal(usage.totals.requests, 9);
  assert.equal(usage.by_user.find((u) => u.user === "bob")?.requests, 2);
  assert.equal(usage.by_user.find((u) => u.user === "anonymous")?.requests, 2, "the anonymous check and prepare");
  assert.ok(usage.top_issue_codes.some(([code]) => code === "missing_column"), JSON.stringify(usage.top_issue_codes));
  assert.equal(queue.finished, 1);
  assert.equal(queue.waiting, 0);

  // The tiles say the totals.
  const tile = (id) => page.textContent(`[data-tile="${id}"] strong`);
  assert.equal(await tile("requests"), "9");
  assert.equal(await tile("tokens"), n(usage.totals.input_tokens + usage.totals.output_tokens));
  assert.equal(await tile("failed"), `${((100 * usage.totals.failed) / usage.totals.requests).toFixed(1)}%`);
  assert.equal(await tile("queue"), "0 · 0");

  // Each chart is drawn (its canvas has ink) and its table is the view's figures.
  for (const chart of ["day", "users", "tiers", "outcomes", "queue", "codes"]) {
    assert.equal(await page.getAttribute(`#fig-${chart}`, "data-empty"), "false", chart);
    const inked = await page.$eval(`#chart-${chart}`, (canvas) => {
      const { data } = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height);
      let ink = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i] > 0) ink++;
      return ink;
    });
    assert.ok(inked > 500, `${chart}: Chart.js drew ${inked} pixels`);
  }
  const today = Object.keys(usage.by_day).sort().at(-1);
  assert.deepEqual((await rows(page, "day")).at(-1), [
    today,
    n(usage.by_day[today].input_tokens),
    n(usage.by_day[today].output_tokens),
    n(usage.by_day[today].cost_usd),
  ]);
  const users = await rows(page, "users");
  assert.equal(users.length, usage.by_user.length);
  for (const [i, u] of usage.by_user.entries()) {
    assert.ok(users[i][0].startsWith(`${u.user} (${u.tier}) · $`), users[i][0]);
    assert.deepEqual(users[i].slice(1), [n(u.input_tokens), n(u.output_tokens)]);
  }
  assert.deepEqual(
    (await rows(page, "tiers")).map((r) => r[0]),
    Object.keys(usage.by_tier).sort(),
  );
  const outcomeNames = await page.$$eval("#fig-outcomes .chart-table thead th", (ths) => ths.map((th) => th.textContent).slice(1));
  for (const outcome of ["answered", "check_failed", "prepared"]) assert.ok(outcomeNames.includes(outcome), outcomeNames.join());
  const todaysOutcomes = (await rows(page, "outcomes")).at(-1);
  assert.deepEqual(
    todaysOutcomes.slice(1),
    outcomeNames.map((o) => n(usage.outcomes_by_day[today][o] ?? 0)),
  );
  assert.deepEqual(
    await rows(page, "codes"),
    usage.top_issue_codes.slice(0, 10).map(([code, count]) => [code, n(count)]),
  );
  const depth = await rows(page, "queue");
  assert.equal(depth.length, queue.depth.length);
  assert.ok(depth.some(([, , running]) => running === "1"), "the job was seen running");

  // Another period refetches.
  await page.selectOption("#range", "1");
  await page.waitForSelector('#operator[data-days="1"]');
  assert.equal(await tile("requests"), "9");

  mkdirSync(join(root, "target", "screenshots"), { recursive: true });
  const shot = join(root, "target", "screenshots", "operator.png");
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.screenshot({ path: shot, fullPage: true });
  assert.ok(statSync(shot).size > 30_000, "the screenshot shows the charts");
  assert.deepEqual(errors, []);
  await page.close();
});

test("a key that is not an operator's is asked for one", async () => {
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/operator.html`);
  await page.waitForSelector('#operator[data-state="ready"]', { timeout: 30_000 });
  await page.evaluate((key) => localStorage.setItem("preflight-api-key", key), bobKey);
  await page.reload();
  await page.waitForSelector('#operator[data-state="key"]');
  assert.match(await page.textContent("#key-message"), /not an operator's/);
  // An operator key gets the figures.
  await page.fill("#key", server.key);
  await page.click('#key-form button[type="submit"]');
  await page.waitForSelector('#operator[data-state="ready"]');
  assert.equal(await page.isHidden("#key-form"), true);
  assert.equal(await page.evaluate(() => localStorage.getItem("preflight-api-key")), server.key);
  await page.close();
});
