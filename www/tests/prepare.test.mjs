// The "prepare" flow in real Chromium against the real server, with both
// example contracts served: an over-limit input gets buttons (trim, keep
// the most relevant parts, split, a bigger plan); the browser prepares it
// in its worker, shows what changed and how it will run, and uploads only
// the prepared payload, which the server prepares again.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Preflight } from "../../pkg/node.js";
import { openApp, root } from "../../tests/js/support.mjs";

let browser;
let page;
let pageErrors = [];

// The version the web app is served: the newest stable one.
const contract = (id) => new Preflight(readFileSync(join(root, "contracts", id, "2.0.0.toml"), "utf8"));
const customerList = contract("customer-list");
const summariseDocument = contract("summarise-document");

// --- Inputs -----------------------------------------------------------------

const NOTE = "asked about the loyalty discount and wants quarterly invoices";
const FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "Tim"];
const LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Allen", "Berners-Lee"];

/** 30 customers, each listed 3 times, with long notes: over the free
 * plan's 2,000 tokens, well under once the notes and duplicates are gone. */
function customersCsv() {
  let csv = "name,email,country,notes\n";
  for (let copy = 0; copy < 3; copy++) {
    for (let i = 0; i < 30; i++) {
      const name = `${FIRST[i % 10]} ${LAST[(i * 3) % 10]} ${i}`;
      const email = `${name.toLowerCase().replaceAll(" ", ".")}@example.com`;
      csv += `${name},${email},${i % 2 ? "France" : "Japan"},"Called in week ${i}: ${NOTE}, a named account manager and a training session for the new team."\n`;
    }
  }
  return csv;
}

const TOPICS = ["harbour", "orchard", "railway", "library", "market", "bakery", "vineyard", "observatory", "quarry", "lighthouse", "brewery", "foundry"];
const VERBS = ["rebuilt", "expanded", "repainted", "modernised", "closed", "reopened", "surveyed", "restored"];
const ADJ = ["old", "northern", "busy", "quiet", "historic", "small", "famous", "windy"];
const RARE = "That winter a zeppelin landed in the field behind the works, and the whole town came out to see it.";

/** A town history of 60 varied paragraphs (about 4,600 words, over 5,000
 * tokens); one of them, and only it, mentions a zeppelin. */
function townHistory() {
  const paragraphs = Array.from({ length: 60 }, (_, i) => {
    const t = TOPICS[i % TOPICS.length];
    return [
      `Chapter ${i + 1} tells how the ${ADJ[(i * 3) % ADJ.length]} ${t} was ${VERBS[(i * 5) % VERBS.length]} in the year ${1820 + i * 7}.`,
      `The town council met ${(i % 4) + 2} times to argue about the cost of the ${t}, and the mayor kept careful notes of every vote.`,
      `Local families remember the ${t} for its ${ADJ[(i + 1) % ADJ.length]} courtyard, its ${TOPICS[(i + 5) % TOPICS.length]} nearby and the long walks along the river.`,
      `By the end of that decade the ${t} employed ${40 + i * 3} people and sold its goods as far away as the coast.`,
    ].join(" ");
  });
  paragraphs[37] += ` ${RARE}`;
  return paragraphs.join("\n\n");
}

// --- Helpers ----------------------------------------------------------------

/**
 * Every POST the page makes from now on, with its body. Chromium leaves a
 * multipart body with a file out of `request.postData()`, so the body is
 * then read from the browser's network log (Network.getRequestPostData).
 */
async function capturePosts() {
  const posts = [];
  const cdp = await browser.context.newCDPSession(page);
  await cdp.send("Network.enable");
  const pending = [];
  const bodies = new Map();
  cdp.on("Network.requestWillBeSent", ({ requestId, request }) => {
    if (request.method !== "POST" || request.postData !== undefined || !request.hasPostData) return;
    pending.push(
      cdp.send("Network.getRequestPostData", { requestId }).then(
        ({ postData }) => bodies.set(request.url, postData),
        () => {},
      ),
    );
  });
  const onRequest = (request) => {
    if (request.method() === "POST") posts.push({ url: request.url(), body: request.postData(), headers: request.headers() });
  };
  page.on("request", onRequest);
  return {
    posts,
    stop: async () => {
      page.off("request", onRequest);
      await Promise.all(pending);
      await cdp.detach();
      for (const post of posts) post.body ??= bodies.get(post.url) ?? null;
    },
  };
}

/** Back to typed text: no file, nothing prepared. */
async function reset() {
  if (await page.isVisible("#file-bar")) await page.click("#clear-file");
  await page.fill("#prompt", "");
}

async function chooseContract(id) {
  await page.selectOption("#contract", id);
  await page.waitForFunction((want) => document.querySelector("#contract-id").textContent.startsWith(want), id);
  await page.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
}

const actionsShown = () => page.$$eval("#meter-actions button", (buttons) => buttons.map((b) => b.dataset.action));

/** The prepared section once done: its data attributes and texts. */
async function preparedResult() {
  await page.waitForSelector('#prepared:not([hidden])[data-state="done"]', { timeout: 30_000 });
  return page.evaluate(() => {
    const $ = (id) => document.getElementById(id);
    return {
      ok: $("prepared").dataset.ok,
      plan: $("prepared").dataset.plan,
      summary: $("prepared-summary").textContent,
      steps: [...$("prepared-steps").children].map((li) => ({
        kind: li.dataset.kind,
        text: li.querySelector("span").textContent,
        items: [...li.querySelectorAll(".step-items li")].map((i) => i.textContent),
      })),
      planText: $("prepared-plan").textContent,
      parts: [...$("prepared-parts").children].map((li) => ({
        tokens: Number(li.dataset.tokens),
        title: li.querySelector(".part-title").textContent,
        content: li.querySelector(".part-content").textContent,
      })),
      uploadEnabled: !$("upload-prepared").disabled,
    };
  });
}

/** Clicks Upload and returns the verdict and the upload request's body. */
async function upload() {
  const capture = await capturePosts();
  await page.click("#upload-prepared");
  await page.waitForSelector('#prepared-verdict:not([hidden]):not([data-status="sending"])', { timeout: 30_000 });
  await capture.stop();
  const posts = capture.posts.filter((p) => p.url.endsWith("/v1/prepare"));
  assert.equal(posts.length, 1, "one upload");
  return {
    status: await page.getAttribute("#prepared-verdict", "data-status"),
    text: await page.textContent("#prepared-verdict"),
    body: posts[0].body,
    contentType: posts[0].headers["content-type"],
  };
}

// --- Set-up -------------------------------------------------------------------

let app;
before(async () => {
  app = await openApp();
  ({ browser, page, pageErrors } = app);
});

after(async () => {
  await app?.close();
});

// --- Tests ----------------------------------------------------------------------

test("the task picker lists the served contracts and switching reloads plans and the meter", async () => {
  const options = await page.$$eval("#contract option", (os) => os.map((o) => ({ value: o.value, selected: o.selected })));
  assert.deepStrictEqual(options, [
    { value: "customer-list", selected: true },
    { value: "summarise-document", selected: false },
  ]);
  assert.match(await page.textContent("#contract-description"), /customer list/i);

  await page.fill("#prompt", "A short note about our customers in Lisbon.");
  await page.waitForSelector('#meter[data-state="ok"]');
  await chooseContract("summarise-document");
  assert.match(await page.textContent("#contract-description"), /summary/i);
  const tiers = await page.$$eval("#tier option", (os) => os.map((o) => o.textContent));
  assert.deepStrictEqual(tiers, ["free (2,000 tokens per request)", "paid (16,000 tokens per request)"]);
  // The text is counted again in the new task's template.
  await page.waitForSelector('#meter[data-state="ok"]');
  const want = summariseDocument.checkText("free", "A short note about our customers in Lisbon.").tokens;
  await page.waitForFunction(
    (total) => document.querySelector("#meter-cost").textContent.startsWith(`${total.toLocaleString("en-US")} tokens in all`),
    want.total,
  );

  await chooseContract("customer-list");
  assert.match(await page.textContent("#contract-description"), /customer list/i);
  await page.fill("#prompt", "");
});

test("an over-limit CSV is trimmed to what the task needs, and only the trimmed table is uploaded", async () => {
  await reset();
  await chooseContract("customer-list");
  await page.selectOption("#tier", "free");
  const csv = customersCsv();
  const bytes = Buffer.from(csv);
  const checked = customerList.checkFile("free", "customers.csv", bytes);
  assert.equal(checked.tokens.state, "over", "the generated CSV is over the free plan");

  const capture = await capturePosts();
  await page.setInputFiles("#file", { name: "customers.csv", mimeType: "text/csv", buffer: bytes });
  await page.waitForSelector('#meter[data-state="over"]');
  // Long input is refused for this task: no split.
  assert.deepStrictEqual(await actionsShown(), ["trim", "keep_relevant", "upgrade"]);
  assert.equal(await page.textContent('#meter-actions [data-action="trim"]'), "Trim what isn't needed");

  await page.click('#meter-actions [data-action="trim"]');
  const result = await preparedResult();
  await capture.stop();
  assert.deepStrictEqual(capture.posts, [], "preparing uploads nothing");

  assert.equal(result.ok, "true");
  assert.equal(result.plan, "single");
  const summary = result.summary.match(/^We removed 1 column you don't need and 60 duplicate rows: ([\d,]+) → ([\d,]+) tokens\.$/);
  assert.ok(summary, result.summary);
  const [beforeTokens, afterTokens] = summary.slice(1).map((n) => Number(n.replaceAll(",", "")));
  assert.equal(beforeTokens, checked.tokens.input);
  assert.ok(beforeTokens > 2_000 && afterTokens <= 2_000, `${beforeTokens} → ${afterTokens}`);
  assert.deepStrictEqual(result.steps.map((s) => s.kind), ["columns_removed", "duplicate_rows_removed"]);
  assert.match(result.steps[0].text, /“notes”/);
  assert.match(result.steps[1].text, /Removed 60 duplicate rows/);
  assert.match(result.planText, /^This runs as one request of [\d,]+ tokens/);
  assert.equal(result.parts.length, 1);
  assert.equal(result.parts[0].tokens, afterTokens);
  assert.match(result.parts[0].title, /^Part 1 · [\d,]+ tokens · rows 1–30$/);
  assert.ok(result.parts[0].content.startsWith("name,email,country\n"));
  assert.ok(!result.parts[0].content.includes(NOTE));
  assert.ok(result.uploadEnabled);

  const sent = await upload();
  assert.equal(sent.status, "same", sent.text);
  assert.match(sent.text, /^The server checked it again and got the same single part/);
  assert.match(sent.contentType, /^multipart\/form-data/);
  assert.ok(sent.body, "the upload body was captured");
  assert.ok(!sent.body.includes(NOTE), "the notes were not uploaded");
  assert.ok(!sent.body.includes("customers.csv"), "the original file was not uploaded");
  assert.match(sent.body, /filename="prepared\.csv"/);
  assert.match(sent.body, /name="mode"\r\n\r\ntrim\r\n/);
  assert.ok(sent.body.includes(result.parts[0].content), "the prepared table was uploaded");

  // Accepted: the page moves to the prepared version. The limit is met,
  // one verdict says so, and Send sends the prepared version.
  await page.waitForSelector('#prepared[data-accepted="true"]');
  assert.equal(await page.getAttribute("#meter", "data-state"), "ok");
  assert.match(await page.textContent("#meter-count"), new RegExp(`^${afterTokens.toLocaleString("en-US")} / 2,000 tokens, prepared$`));
  assert.equal(await page.getAttribute("#report-verdict", "data-state"), "ready");
  assert.match(await page.textContent("#report-verdict"), /^Ready to send the prepared version\. This runs as one request/);
  assert.doesNotMatch(await page.textContent("#report"), /Too long|Over your limit/);
  assert.equal(await page.isHidden("#upload-prepared"), true);
  assert.equal(await page.isEnabled("#send"), true);
  const sending = await capturePosts();
  await page.click("#send");
  await page.waitForSelector('#verdict[data-ok="true"]', { timeout: 30_000 });
  await sending.stop();
  assert.deepStrictEqual(sending.posts.map((p) => new URL(p.url).pathname), ["/v1/run"]);
  assert.ok(!sending.posts[0].body.includes(NOTE), "Send uploads the prepared version, not the original");
  assert.match(sending.posts[0].body, /filename="prepared\.csv"/);
  assert.match(await page.textContent("#verdict-note"), /Dry run: no model was called/);
  const payload = JSON.parse(await page.textContent("#payload"));
  assert.ok(payload.messages.at(-1).content.includes(result.parts[0].content), "the prepared table is what the model gets");

  // Another file: what was prepared for this one is gone.
  await page.click("#clear-file");
  assert.equal(await page.isHidden("#prepared"), true);
});

test("a long document is split into parts that each fit, run as map-reduce, and the server gets the same parts", async () => {
  await reset();
  await chooseContract("summarise-document");
  await page.selectOption("#tier", "free");
  const text = townHistory();
  const over = summariseDocument.checkText("free", text).issues.find((i) => i.code === "over_token_limit");
  const split = over.actions.find((a) => a.kind === "split");
  assert.ok(split && split.parts >= 2, JSON.stringify(over.actions));

  await page.fill("#prompt", text);
  await page.waitForSelector('#meter[data-state="over"]');
  // The history is clean prose: trimming would remove nothing, so there is
  // no Trim button, only the ways that can work.
  assert.deepStrictEqual(await actionsShown(), ["keep_relevant", "split", "upgrade"]);

  const label = await page.textContent('#meter-actions [data-action="split"]');
  assert.equal(label, `Split into about ${split.parts} parts`);
  await page.click('#meter-actions [data-action="split"]');
  await page.waitForSelector('#prepared[data-mode="split"][data-state="done"]');
  const result = await preparedResult();
  assert.equal(result.ok, "true");
  assert.equal(result.plan, "map_reduce");
  const n = result.parts.length;
  assert.equal(n, split.parts);
  assert.match(result.summary, new RegExp(`^We split it into ${n} parts: [\\d,]+ tokens\\.$`));
  assert.match(result.planText, new RegExp(`^This runs as ${n} requests, one per part of at most 2,000 tokens, then one more that combines their answers: [\\d,]+ tokens in all, costing at most \\$`));
  for (const [i, part] of result.parts.entries()) {
    assert.ok(part.tokens > 0 && part.tokens <= 2_000, `part ${i + 1} has ${part.tokens} tokens`);
    assert.match(part.title, new RegExp(`^Part ${i + 1} of ${n} · `));
  }
  // Together the parts hold the whole document.
  assert.equal(result.parts.map((p) => p.content).join("").replace(/\s+/g, " ").trim(), text.replace(/\s+/g, " ").trim());

  const sent = await upload();
  assert.equal(sent.status, "same", sent.text);
  assert.equal(sent.text, `The server checked it again and got the same ${n} parts, so this is exactly what goes to the model.`);
  const body = JSON.parse(sent.body);
  assert.deepStrictEqual(Object.keys(body).sort(), ["contract", "mode", "text", "tier"]);
  assert.deepStrictEqual([body.contract, body.tier, body.mode], ["summarise-document", "free", "split"]);
});

test("keeping the most relevant parts keeps what matches the question, lists what was left out, and fits", async () => {
  await reset();
  await chooseContract("summarise-document");
  await page.selectOption("#tier", "free");
  await page.fill("#prompt", townHistory());
  await page.waitForSelector('#meter[data-state="over"]');
  assert.equal(await page.isHidden("#relevant-box"), true);
  await page.click('#meter-actions [data-action="keep_relevant"]');
  await page.waitForSelector("#relevant-box:not([hidden])");

  // Without a question, the reason is said plainly and nothing can be uploaded.
  await page.fill("#question", "");
  await page.click("#run-relevant");
  const refused = await preparedResult();
  assert.equal(refused.ok, "false");
  assert.match(refused.planText, /we need your question/);
  assert.equal(refused.uploadEnabled, false);

  await page.fill("#question", "What happened with the zeppelin?");
  await page.click("#run-relevant");
  await page.waitForSelector('#prepared[data-state="done"][data-ok="true"]');
  const result = await preparedResult();
  assert.equal(result.plan, "single");
  assert.equal(result.parts.length, 1);
  const [part] = result.parts;
  assert.ok(part.tokens <= 2_000, `${part.tokens} tokens`);
  assert.ok(part.content.includes(RARE), "the paragraph about the zeppelin is kept");
  assert.match(result.summary, /^We left out \d+ sections least related to your question: [\d,]+ → [\d,]+ tokens\.$/);
  const omitted = result.steps.find((s) => s.kind === "sections_omitted");
  assert.ok(omitted, JSON.stringify(result.steps));
  assert.ok(omitted.items.length > 0, "the left-out sections are listed");
  for (const item of omitted.items.filter((i) => !i.startsWith("…and"))) {
    assert.match(item, /^line \d+: /);
    const preview = item.replace(/^line \d+: /, "").replace(/…$/, "");
    assert.ok(!part.content.includes(preview), `left out, yet in the part: ${preview}`);
    assert.ok(!preview.includes("zeppelin"));
  }

  const sent = await upload();
  assert.equal(sent.status, "same", sent.text);
  const body = JSON.parse(sent.body);
  assert.equal(body.mode, "relevant");
  assert.equal(body.question, "What happened with the zeppelin?");
  assert.ok(body.text.length < townHistory().length / 2, "only the kept parts were uploaded");

  // Editing the text makes the prepared result stale: it is hidden.
  await page.locator("#prompt").press("End");
  await page.keyboard.type(" The end.");
  assert.equal(await page.isHidden("#prepared"), true);
  await page.fill("#prompt", "");
  await page.waitForSelector("#relevant-box[hidden]", { state: "attached" });
});

test("the page raised no script errors", () => {
  assert.deepStrictEqual(pageErrors.map(String), []);
});
