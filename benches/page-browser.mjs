// The web app's first screen in Debian's Chromium (headless, flags as in
// tests/js/support.mjs), served by `preflight serve` on 127.0.0.1, and our
// meter module beside its peers:
//  1. the bytes fetched before the first meter reading (the page's and the
//     worker's resource timings), whether the server sends brotli, and the
//     vocabulary fetched after it;
//  2. navigation → first estimate (`preflightTimings.firstReadingMs`) and
//     → exact count (`meterReadyMs`, `#meter[data-ready="true"]`), cold (a
//     fresh profile per load) and warm (the same profile, navigated again);
//  3. a keystroke on a 1 MB prompt: the worker's time in the core, and from
//     the input event to the updated meter;
//  4. peers: our meter module (pkg/browser.js: `init()`, `loadTokenizer`,
//     `countTokens`), npm `tiktoken`, `js-tiktoken` and `gpt-tokenizer`,
//     each in its own page, through benches/tokenizers-browser.mjs's server
//     and page harness: cold and warm navigation → first count of the same
//     10 KB of prose, the bytes fetched and their gzip -9 / brotli -11 sizes.
//
// `node benches/page-browser.mjs` once `make pkg build chromium` has run.
// Markdown on stdout, progress on stderr. At start it copies www/, pkg/
// (snapshotPkg) and the server binary into a temporary directory laid out
// like the repository, with tests/js/support.mjs, and imports that copy's
// `startServer`: the server then serves the copies (`--www www --pkg pkg`
// from there), so edits elsewhere during a run do not mix into the figures.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { launchChromium, root } from "../tests/js/support.mjs";
import { chromiumVersion, measureStartup, startServer as startPeerServer } from "./tokenizers-browser.mjs";
import {
  IMPLS, KB, fill, fmtInt, fmtMs, inputDir, machineLines, median, npmVersion, percentile, pkgLine, snapshotPkg,
  today, writeInputs,
} from "./tokenizers-js-lib.mjs";

const LOADS = 7;
const KEYSTROKES = 60;
const PEER_WARM = 5;
const ENCODING = "o200k_base"; // the web app's first contract (gpt-4o-mini)
const PEER_INPUT = "prose-10kb.txt";

const out = (s = "") => process.stdout.write(s + "\n");
const log = (s) => process.stderr.write(s + "\n");
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const stats = (xs) => `${fmtMs(median(xs))} (${fmtMs(Math.min(...xs))}–${fmtMs(Math.max(...xs))})`;
const path = (url) => new URL(url).pathname;

// ------------------------------------------------------------- the copies

const SNAP = snapshotPkg();
const tmp = mkdtempSync(join(tmpdir(), "page-bench-"));
cpSync(join(root, "www"), join(tmp, "www"), { recursive: true });
cpSync(SNAP.dir, join(tmp, "pkg"), { recursive: true });
mkdirSync(join(tmp, "target/debug"), { recursive: true });
copyFileSync(join(root, "target/debug/preflight"), join(tmp, "target/debug/preflight"));
chmodSync(join(tmp, "target/debug/preflight"), 0o755);
mkdirSync(join(tmp, "tests/js"), { recursive: true });
copyFileSync(join(root, "tests/js/support.mjs"), join(tmp, "tests/js/support.mjs"));
const { startServer } = await import(pathToFileURL(join(tmp, "tests/js/support.mjs")).href);

// ---------------------------------------------------------------- helpers

/** The response headers for `url` (body discarded). */
const headersOf = (url, headers) =>
  new Promise((resolve, reject) =>
    request(url, { headers }, (res) => {
      res.resume();
      resolve({ status: res.statusCode, ...res.headers });
    }).on("error", reject).end(),
  );

/**
 * Every resource timing of the page and its workers (each has its own
 * timeline; the worker's is shifted to the page's clock through
 * `performance.timeOrigin`), the navigation entry first.
 */
async function resources(page) {
  const collect = () => ({
    origin: performance.timeOrigin,
    entries: [...performance.getEntriesByType("navigation"), ...performance.getEntriesByType("resource")].map((e) => ({
      name: e.name, start: e.startTime, end: e.responseEnd,
      transfer: e.transferSize, encoded: e.encodedBodySize, decoded: e.decodedBodySize,
    })),
  });
  const main = await page.evaluate(collect);
  // A worker of the previous document may not be gone yet: only this document's (started after it).
  const workers = await Promise.all(page.workers().map((w) => w.evaluate(collect).catch(() => null)));
  const lists = [main, ...workers.filter((w) => w && w.origin >= main.origin)];
  return lists.flatMap(({ origin, entries }, i) =>
    entries.map((e) => ({ ...e, where: i ? "worker" : "page", start: e.start + origin - lists[0].origin, end: e.end + origin - lists[0].origin })),
  );
}

/** Navigates to the app and waits for the exact count; its timings and resources. */
async function visit(page, url) {
  await page.goto(url);
  await page.waitForSelector('#meter[data-ready="true"]', { timeout: 60_000 }).catch(() => {
    throw new Error("the web app's meter did not get ready within 60 s (www/ mid-edit? rerun later)");
  });
  const timings = await page.evaluate(() => window.preflightTimings);
  if (typeof timings.firstReadingMs !== "number") throw new Error("preflightTimings.firstReadingMs is not set");
  return { timings, resources: await resources(page) };
}

const isVocabulary = (r) => /_base\.bin$/.test(r.name);
const sum = (rs, f) => rs.reduce((s, r) => s + r[f], 0);

// ----------------------------------------------------------------- report

function header() {
  let dirty = "";
  try {
    const n = execFileSync("git", ["-C", root, "status", "--porcelain"]).toString().split("\n").filter(Boolean).length;
    if (n) dirty = ` (working tree: ${n} uncommitted paths; the copies measured include them)`;
  } catch {}
  out(`## The web app's first screen and the peers in Chromium (${today()})\n`);
  out(
    "Command: `node benches/page-browser.mjs` (after `make pkg build chromium`). Debian's Chromium, headless, " +
      "driven by playwright-core; the web app from `preflight serve` (debug build, brotli/gzip precompressed " +
      "files under /pkg) on 127.0.0.1, serving copies of `www/` and `pkg/` taken at start.\n",
  );
  out("### Machine\n");
  for (const l of machineLines()) out(l);
  out(pkgLine(SNAP) + dirty);
  out(`- ${chromiumVersion()}, flags as in \`tests/js/support.mjs\`; playwright-core ${npmVersion("playwright-core")}`);
  out();
}

/** The load whose first reading is the median one. */
const typical = (loads) => [...loads].sort((x, y) => x.timings.firstReadingMs - y.timings.firstReadingMs)[Math.floor(loads.length / 2)];
const span = (r) => (r ? `${r.start <= r.end ? r.start.toFixed(0) : "?"} → ${r.end.toFixed(0)}` : "–");

async function bytesSection(server, cold, warm, loadBefore) {
  const wasm = "/pkg/dist/meter/prompt_preflight_bg.wasm";
  const encodingOf = async (p, accept) => (await headersOf(server.url + p, { "accept-encoding": accept }))["content-encoding"] ?? "none";
  const [br, gz, none] = await Promise.all(["br", "gzip", ""].map((a) => headersOf(server.url + wasm, a ? { "accept-encoding": a } : {})));
  const before = (v) => v.resources.filter((r) => !isVocabulary(r) && r.end <= v.timings.firstReadingMs);
  const c = typical(cold);
  const w = typical(warm);
  const list = before(c);
  const rest = c.resources.filter((r) => !list.includes(r));
  out(`### 1. Bytes before the meter's first reading (load average ${loadBefore})\n`);
  out(
    `\`${wasm}\` answers \`content-encoding: ${br["content-encoding"] ?? "none"}\` (${fmtInt(Number(br["content-length"]))} B) to ` +
      `\`accept-encoding: br\`, ${gz["content-encoding"] ?? "none"} (${fmtInt(Number(gz["content-length"]))} B) to \`gzip\`, ` +
      `${none["content-encoding"] ?? "none"} (${fmtInt(Number(none["content-length"]))} B) without the header.\n`,
  );
  out(
    `The cold load with the median first reading (${fmtMs(c.timings.firstReadingMs)}; code ready ${fmtMs(c.timings.codeReadyMs)}, ` +
      `exact count ${fmtMs(c.timings.meterReadyMs)}) and the warm one likewise (${fmtMs(w.timings.firstReadingMs)}): every ` +
      "resource timing of the page and of its worker (Chromium puts the worker's script and its static imports in the " +
      "page's timeline, the worker's own `fetch()`es in the worker's), the navigation entry included, in request order. " +
      "Above the total: what had arrived before `preflightTimings.firstReadingMs`. `body` is `encodedBodySize` (as sent), " +
      "`raw` is `decodedBodySize`, `transfer` is `transferSize` (body and headers; about 300 B for a 304). " +
      "`content-encoding` is the server's answer to Chromium's `accept-encoding: gzip, deflate, br, zstd`. Times are ms " +
      "since navigation (`?`: Chromium's `startTime` for the worker script is later than its `responseEnd`).\n",
  );
  out("| resource | timeline | content-encoding | body | raw | transfer | cold: start → end | warm: transfer | warm: start → end |");
  out("|---|---|---|---:|---:|---:|---:|---:|---:|");
  const row = async (r, label = `\`${path(r.name)}\``) => {
    const wr = w.resources.find((x) => x.name === r.name);
    out(
      `| ${label} | ${r.where} | ${await encodingOf(path(r.name), "gzip, deflate, br, zstd")} | ${fmtInt(r.encoded)} B | ${fmtInt(r.decoded)} B | ` +
        `${fmtInt(r.transfer)} B | ${span(r)} | ${wr ? `${fmtInt(wr.transfer)} B` : "not fetched"} | ${span(wr)} |`,
    );
  };
  for (const r of list) await row(r);
  const totals = cold.map(before);
  const m = (f) => fmtInt(median(totals.map((rs) => sum(rs, f))));
  const wm = fmtInt(median(warm.map((v) => sum(before(v), "transfer"))));
  out(`| **before the first reading: ${list.length} requests** (median of ${LOADS} loads) | | | **${m("encoded")} B** | ${m("decoded")} B | ${m("transfer")} B | | ${wm} B | |`);
  for (const r of rest) await row(r, `after it${isVocabulary(r) ? " (the vocabulary, lazily)" : ""}: \`${path(r.name)}\``);
  out();
}

function timingsSection(cold, warm) {
  out(`### 2. Navigation → first estimate and → exact count\n`);
  out(
    `Median (min–max) of ${LOADS} loads, \`performance.now()\` (from navigation start). Cold: a fresh profile per load. ` +
      "Warm: one profile, visited once, then navigated to the app again each time (HTTP and V8 code cache, the " +
      "vocabulary from the Cache API; the server sends `Last-Modified` and no `Cache-Control`, so what is " +
      "revalidated is Chromium's choice: see the warm columns above). `code ready` is the worker's Wasm module instantiated and the contract " +
      "parsed (`codeReadyMs`); `first estimate` is the first meter reading shown (`firstReadingMs`); `exact` is " +
      "the vocabulary installed and the text counted again (`meterReadyMs`, when `#meter[data-ready]` turns true). " +
      "Targets: first estimate ≤ 100 ms, exact ≤ 300 ms warm.\n",
  );
  out("| load | code ready | first estimate | exact count | vocabulary from | requests / bytes over the wire |");
  out("|---|---:|---:|---:|---|---:|");
  for (const [name, loads] of [["cold (fresh profile)", cold], ["warm (same profile)", warm]]) {
    const f = (k) => stats(loads.map((v) => v.timings[k]));
    out(
      `| ${name} | ${f("codeReadyMs")} | ${f("firstReadingMs")} | ${f("meterReadyMs")} | ${loads.at(-1).timings.tokenizer?.source} | ` +
        `${median(loads.map((v) => v.resources.length))} / ${fmtInt(median(loads.map((v) => sum(v.resources, "transfer"))))} B |`,
    );
  }
  out("\nWhere the time goes: each step's end, ms since navigation (median of the loads; a fetch ends at its `responseEnd`).\n");
  out("| step | cold | warm |");
  out("|---|---:|---:|");
  for (const [step, end] of MILESTONES) {
    const at = (loads) => {
      const xs = loads.map(end).filter((x) => x !== undefined);
      return xs.length ? fmtMs(median(xs)) : "–";
    };
    out(`| ${step} | ${at(cold)} | ${at(warm)} |`);
  }
  out();
}

/** The last `responseEnd` of a load's resources whose path matches. */
const lastEnd = (test) => (v) => {
  const ends = v.resources.filter((r) => test(path(r.name))).map((r) => r.end);
  return ends.length ? Math.max(...ends) : undefined;
};
const MILESTONES = [
  ["the page: HTML, CSS and its modules fetched", lastEnd((p) => !/^\/(pkg|v1)\//.test(p) && p !== "/worker.js")],
  ["the contracts fetched (`/v1/contracts`, then the first one)", lastEnd((p) => p.startsWith("/v1/"))],
  ["the worker started: its script and the package's modules fetched", lastEnd((p) => p === "/worker.js" || /^\/pkg\/.*\.js$/.test(p))],
  ["the meter module's Wasm fetched", lastEnd((p) => p.endsWith("/meter/prompt_preflight_bg.wasm"))],
  ["code ready: compiled, instantiated, contract parsed (`codeReadyMs`)", (v) => v.timings.codeReadyMs],
  ["first estimate shown (`firstReadingMs`)", (v) => v.timings.firstReadingMs],
  ["the vocabulary fetched (none: from the Cache API)", lastEnd((p) => p.endsWith("_base.bin"))],
  ["exact count shown (`meterReadyMs`)", (v) => v.timings.meterReadyMs],
];

/**
 * Keystrokes in the middle of `text`, as benches/browser.mjs types them, in
 * a fresh page of the app. The text is put in the box directly (value and
 * an input event): Playwright's `fill` (Chromium's insertText) takes seconds
 * per 100 KB of text with line breaks.
 */
async function keystrokes(context, url, text) {
  const page = await context.newPage();
  await visit(page, url);
  await page.selectOption("#tier", "paid");
  await page.evaluate((text) => {
    const box = document.querySelector("#prompt");
    box.value = text;
    box.dispatchEvent(new InputEvent("input", { bubbles: true, inputType: "insertFromPaste" }));
  }, text);
  await page.waitForFunction((n) => window.preflightTimings.updates.at(-1)?.length === n, text.length, { timeout: 60_000 });
  await page.waitForTimeout(1500); // the full check and the settle after a change run once typing pauses
  await page.evaluate((at) => {
    const box = document.querySelector("#prompt");
    box.focus();
    box.setSelectionRange(at, at);
    window.preflightTimings.updates = [];
  }, Math.floor(text.length / 2));
  let typed = 0;
  try {
    for (; typed < KEYSTROKES; typed++) {
      await page.keyboard.type(typed % 2 ? "a" : " ");
      await page.waitForFunction((n) => window.preflightTimings.updates.length >= n, typed + 1);
    }
    return await page.evaluate(() => window.preflightTimings.updates);
  } catch (error) {
    // Chromium's renderer has crashed here now and then (`Target crashed`).
    throw new Error(`${error.message.split("\n")[0].trim()} after ${typed} keystrokes`);
  } finally {
    await page.close().catch(() => {});
  }
}

async function keystrokesSection(context, url, prose) {
  const loadKeys = load();
  const texts = [
    ["prose with its line breaks", prose],
    ["the same on one line", prose.replace(/\s*\n\s*/g, " ")],
  ];
  const rows = [];
  for (const [name, text] of texts) {
    log(`web app: keystrokes, ${name} (load ${load()})`);
    rows.push([name, text, await keystrokes(context, url, text).catch((error) => error.message)]);
  }
  out(`### 3. A keystroke on a 1 MB prompt (load average ${loadKeys})\n`);
  out(
    "1 MB of prose (README and BENCHMARKS, benches/tokenizers-js-lib.mjs's `prose-1mb.txt`; then the same words on one " +
      `line, like benches/browser.mjs's text) in \`#prompt\` of a fresh page of the app (warm profile), plan \`paid\` (over its limit), then ${KEYSTROKES} keystrokes ` +
      "in the middle (a space and `a` in turn), each after the previous reading. `core` is the worker's time in " +
      "`meter.edit` (`meterMs`; the page is not cross-origin isolated, so the worker's clock has 100 µs steps); " +
      "`input → meter` runs from the input event to the updated DOM (`sinceInputMs`). Target: core ≤ 1 ms.\n",
  );
  out("| text | size | core: median | core: p95 | input → meter: median | input → meter: p95 |");
  out("|---|---:|---:|---:|---:|---:|");
  for (const [name, text, updates] of rows) {
    if (typeof updates === "string") {
      out(`| ${name} | ${fmtInt(Buffer.byteLength(text))} B | ${updates} | | | |`);
      continue;
    }
    const core = updates.map((u) => u.meterMs);
    const total = updates.map((u) => u.sinceInputMs);
    out(
      `| ${name} | ${fmtInt(Buffer.byteLength(text))} B | ${fmtMs(median(core))} | ${fmtMs(percentile(core, 95))} | ` +
        `${fmtMs(median(total))} | ${fmtMs(percentile(total, 95))} |`,
    );
  }
  out();
}

async function webApp(server, prose) {
  const loadBefore = load();
  log(`web app: ${LOADS} cold loads (load ${loadBefore})`);
  const cold = [];
  for (let i = 0; i < LOADS; i++) {
    const browser = await launchChromium();
    try {
      cold.push(await visit(await browser.context.newPage(), server.url));
    } finally {
      await browser.close();
    }
  }
  log(`web app: ${LOADS} warm loads (load ${load()})`);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(e.message));
    await visit(page, server.url);
    const warm = [];
    for (let i = 0; i < LOADS; i++) warm.push(await visit(page, server.url));
    await bytesSection(server, cold, warm, loadBefore);
    timingsSection(cold, warm);
    await keystrokesSection(browser.context, server.url, prose);
    if (errors.length) out(`> Errors on the page: ${errors.join("; ")}\n`);
  } finally {
    await browser.close();
  }
}

async function peers(texts) {
  const text = fill(texts[0].text, 10 * KB);
  writeFileSync(join(inputDir, PEER_INPUT), text);
  const ours = await import(pathToFileURL(join(SNAP.dir, "node.js")).href);
  const want = ours.countTokens(text, ENCODING).count;
  const server = await startPeerServer(SNAP.dir);
  const loadPeers = load();
  let results;
  try {
    results = await measureStartup(server, ENCODING, { coldRuns: LOADS, warmRuns: PEER_WARM, input: PEER_INPUT });
  } finally {
    await server.stop();
  }
  out(`### 4. Our meter module and the peers (${ENCODING}; load average ${loadPeers})\n`);
  out(
    "Each implementation in its own page from benches/tokenizers-browser.mjs's static server (plain ES modules, " +
      "no bundler, no compression, `Cache-Control: max-age=3600`; the page harness is " +
      "benches/tokenizers-browser-page.mjs), taking turns. `first count` is `performance.now()` when the first " +
      `count of ${fmtInt(Buffer.byteLength(text))} B of prose returned (the text fetched alongside the modules): ` +
      "modules, Wasm compile, vocabulary, tokenizer build and the count. Ours is the package's meter module " +
      "(`pkg/browser.js`: `await init()`, `await loadTokenizer()`, `countTokens`). Cold: median of " +
      `${LOADS} fresh profiles; warm: ${PEER_WARM} reloads of the first. \`downloaded\` is the encoded body size of ` +
      "everything fetched but the page, harness and text; gzip -9 / brotli -11 are the same files compressed. " +
      `\`count\` is checked against ours under Node (${fmtInt(want)}). Versions: tiktoken ${npmVersion("tiktoken")}, ` +
      `js-tiktoken ${npmVersion("js-tiktoken")}, gpt-tokenizer ${npmVersion("gpt-tokenizer")}.\n`,
  );
  out("| implementation | files | downloaded | gzip -9 | brotli -11 | cold: navigation → first count | warm reload: navigation → first count | count | agrees |");
  out("|---|---:|---:|---:|---:|---:|---:|---:|---|");
  let agree = true;
  for (const impl of IMPLS) {
    const { cold, warm, gz, br } = results[impl];
    const counts = new Set([...cold, ...warm].map((s) => s.count));
    const ok = counts.size === 1 && counts.has(want);
    agree &&= ok;
    const files = cold[0].urls.filter((u) => /^\/(pkg|node_modules|bench\/cjs)\//.test(u)).length;
    out(
      `| ${impl === "ours" ? "ours (meter module)" : impl} | ${files} | ${fmtInt(median(cold.map((s) => s.bytes)))} B | ${fmtInt(gz)} B | ${fmtInt(br)} B | ` +
        `${stats(cold.map((s) => s.sinceNavigation))} | ${stats(warm.map((s) => s.sinceNavigation))} | ${[...counts].map(fmtInt).join(", ")} | ${ok ? "yes" : "**NO**"} |`,
    );
  }
  out();
  if (!agree) process.exitCode = 1;
}

// Playwright closes its browsers on these signals but leaves the process running.
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    rmSync(tmp, { recursive: true, force: true });
    process.exit(130);
  });
}

try {
  header();
  const texts = writeInputs(); // the 1 MB prose for section 3, the 10 KB of section 4
  const server = await startServer();
  try {
    await webApp(server, texts[0].text);
  } finally {
    await server.stop();
  }
  await peers(texts);
  out(`Load average at the end: ${load()}.\n`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
