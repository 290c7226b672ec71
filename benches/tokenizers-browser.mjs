// Our Wasm tokenizer against npm `tiktoken` (Wasm), `js-tiktoken` and
// `gpt-tokenizer` in Debian's Chromium (headless, through playwright-core),
// each loaded as plain ES modules without a bundler.
//
// `make bench-tokenizers-js` (after benches/tokenizers-js.mjs), or
// `node benches/tokenizers-browser.mjs` once `make pkg` has built pkg/dist.
// Markdown on stdout, progress on stderr.
//
// A tiny static server on 127.0.0.1 serves pkg/ (a copy taken at start, see
// snapshotPkg), node_modules/, the page
// harness (benches/tokenizers-browser-page.mjs) and the generated inputs.
// The page is cross-origin isolated (COOP/COEP), so `performance.now()` has
// 5 µs resolution rather than 100 µs.
//
// Sections: start-up (cold profile and warm reload), throughput with a
// count check, pathological inputs at 10 KB and 100 KB with a time budget,
// keystroke latency of our meter against full recounts.
//
// benches/page-browser.mjs imports the server and the start-up measurement
// (`startServer`, `measureStartup`); run as a script, this runs every section.
import { execFileSync } from "node:child_process";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { createServer } from "node:http";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import { extname, join, normalize } from "node:path";
import { pathToFileURL } from "node:url";
import { CHROMIUM, launchChromium } from "../tests/js/support.mjs";
import {
  ENCODINGS,
  IMPLS,
  KB,
  MB,
  PATHO,
  benchContract,
  fmtInt,
  fmtMs,
  fmtSize,
  inputDir,
  machineLines,
  mbps,
  median,
  npmVersion,
  percentile,
  root,
  today,
  writeInputs,
  snapshotPkg,
  pkgLine,
} from "./tokenizers-js-lib.mjs";

/** Fresh-profile loads per start-up figure, and reloads for the warm one. */
const COLD_RUNS = 5;
const WARM_RUNS = 3;
/** Timed runs per throughput figure (median). */
const RUNS = 5;
/** Seconds a pathological case may take before the browser is closed. */
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 20);
const PATHO_SIZES = [10 * KB, 100 * KB];
const EDITS = 200;
/** The copy of pkg/ measured (served as /pkg/), taken in main(). */
let SNAP;

const out = (s = "") => process.stdout.write(s + "\n");
const log = (s) => process.stderr.write(s + "\n");
let mismatches = 0;
function mismatch(what) {
  mismatches++;
  log(`!!! MISMATCH: ${what}`);
  out(`\n> **MISMATCH**: ${what}\n`);
}

// ------------------------------------------------------------------ server

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".cjs": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".bin": "application/octet-stream",
  ".txt": "text/plain; charset=utf-8",
};

// The import map: js-tiktoken imports the bare specifier "base64-js" (a
// CommonJS package), and tiktoken/lite/init.js imports "./tiktoken_bg"
// without an extension. Both are mapped; nothing else is rewritten.
const PAGE = `<!doctype html>
<meta charset="utf-8">
<title>tokenizer bench</title>
<script type="importmap">
{ "imports": {
    "base64-js": "/bench/cjs/node_modules/base64-js/index.js",
    "/node_modules/tiktoken/lite/tiktoken_bg": "/node_modules/tiktoken/lite/tiktoken_bg.js"
} }
</script>
<script type="module" src="/bench/harness.mjs"></script>
`;

/** The bench's static server; `pkgDir` is the copy of pkg/ served as /pkg/. */
export function startServer(pkgDir) {
  const isolation = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
  };
  const send = (res, status, type, body, extra = {}) => {
    res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...extra });
    res.end(body);
  };
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, "http://x").pathname);
    if (req.method !== "GET") return send(res, 405, "text/plain", "GET only");
    if (path === "/bench/page.html") return send(res, 200, TYPES[".html"], PAGE, { ...isolation, "Cache-Control": "no-store" });
    let file;
    if (path === "/bench/harness.mjs") file = join(root, "benches", "tokenizers-browser-page.mjs");
    else if (path.startsWith("/bench/input/")) file = join(inputDir, normalize(path.slice("/bench/input/".length)));
    else if (path.startsWith("/bench/cjs/node_modules/")) {
      // A CommonJS file wrapped as an ES module (default export = module.exports).
      const src = join(root, normalize(path.slice("/bench/cjs/".length)));
      if (!src.startsWith(join(root, "node_modules")) || !existsSync(src)) return send(res, 404, "text/plain", "not found");
      const body = `const module = { exports: {} }; const exports = module.exports;\n${readFileSync(src, "utf8")}\nexport default module.exports;\n`;
      return send(res, 200, TYPES[".js"], body, { "Cache-Control": "max-age=3600" });
    } else if (path.startsWith("/pkg/")) file = join(pkgDir, normalize(path.slice("/pkg/".length)));
    else if (path.startsWith("/node_modules/")) file = join(root, normalize(path));
    if (!file || !(file.startsWith(root) || file.startsWith(pkgDir)) || !existsSync(file) || !statSync(file).isFile()) {
      return send(res, 404, "text/plain", "not found");
    }
    res.writeHead(200, {
      "Content-Type": TYPES[extname(file)] ?? "application/octet-stream",
      "Content-Length": statSync(file).size,
      "Cache-Control": "max-age=3600",
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        pkgDir,
        stop: () =>
          new Promise((r) => {
            server.close(r);
            server.closeAllConnections();
          }),
      }),
    ),
  );
}

// ---------------------------------------------------------------- helpers

const TIMEOUT = Symbol("timeout");
/** Settles to { value }, { error } or TIMEOUT after `ms`. */
async function within(promise, ms) {
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r(TIMEOUT), ms)));
  const result = await Promise.race([promise.then((value) => ({ value }), (error) => ({ error })), timeout]);
  clearTimeout(timer);
  return result;
}

/** Opens the page for one implementation and waits for its first count (of `input`, if given). */
async function openPage(context, url, impl, encoding, input) {
  const page = await context.newPage();
  await page.goto(`${url}/bench/page.html?impl=${impl}&enc=${encoding}${input ? `&input=${encodeURIComponent(input)}` : ""}`);
  return { page, startup: await waitStartup(page, impl) };
}

async function waitStartup(page, impl) {
  await page.waitForFunction(() => window.startup || window.startupError, null, { timeout: 180_000 });
  const { startup, error } = await page.evaluate(() => ({ startup: window.startup, error: window.startupError }));
  if (error) throw new Error(`${impl} did not load in the page: ${error}`);
  return startup;
}

async function closeBrowser(browser) {
  const r = await within(browser.close(), 30_000);
  if (r === TIMEOUT) log("  the browser did not close within 30 s");
}

// -------------------------------------------------------------- sections

function header(chromiumVersion) {
  out(`## Tokenizers in JavaScript: Chromium (${today()})\n`);
  out(
    "Command: `make bench-tokenizers-js` (`node benches/tokenizers-browser.mjs`). Debian's Chromium, " +
      "headless, driven by playwright-core, fresh profile per cold load; files from a tiny Node HTTP server on " +
      "127.0.0.1 (no compression, `Cache-Control: max-age=3600`), page cross-origin isolated so " +
      "`performance.now()` has 5 µs resolution. Every implementation is loaded as plain ES modules, no " +
      "bundler; an import map maps the two specifiers browsers cannot resolve by themselves: `base64-js` " +
      "(a bare CommonJS import in js-tiktoken, served wrapped as an ES module) and `./tiktoken_bg` (an " +
      "extension-less import in `tiktoken/lite/init.js`). Ours: `pkg/browser.js`, `await init()`, " +
      "`await loadTokenizer(encoding)`, `countTokens`. tiktoken: `tiktoken/lite/init.js` with its " +
      "`init(imports => WebAssembly.instantiateStreaming(fetch(tiktoken_bg.wasm), imports))` and " +
      "`new Tiktoken(...)` from `tiktoken/encoders/<encoding>.json` (fetched in parallel with the module). " +
      "js-tiktoken: `dist/lite.js` with `dist/ranks/<encoding>.js`. gpt-tokenizer: " +
      "`esm/encoding/<encoding>.js`. Versions as in the Node section: " +
      `tiktoken ${npmVersion("tiktoken")}, js-tiktoken ${npmVersion("js-tiktoken")}, gpt-tokenizer ${npmVersion("gpt-tokenizer")}.\n`,
  );
  out("### Machine\n");
  for (const l of machineLines()) out(l);
  out(pkgLine(SNAP));
  out(`- ${chromiumVersion}, flags as in \`tests/js/support.mjs\`; playwright-core ${npmVersion("playwright-core")}`);
  out();
}

/** The file a served path comes from (null for generated responses and inputs). */
function fileOf(path, pkgDir) {
  if (path.startsWith("/bench/cjs/")) return join(root, path.slice("/bench/cjs/".length));
  if (path.startsWith("/pkg/")) return join(pkgDir, path.slice("/pkg/".length));
  if (path.startsWith("/node_modules/")) return join(root, path);
  return null;
}

const compressed = new Map();
/** gzip -9 and brotli -11 sizes of the files behind `paths` (cached per file). */
function compressedSizes(paths, pkgDir) {
  let gz = 0;
  let br = 0;
  for (const path of new Set(paths)) {
    const file = fileOf(path, pkgDir);
    if (!file || !existsSync(file)) continue;
    if (!compressed.has(file)) {
      const data = readFileSync(file);
      compressed.set(file, {
        gz: gzipSync(data, { level: 9 }).length,
        br: brotliCompressSync(data, {
          params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11, [zlibConstants.BROTLI_PARAM_SIZE_HINT]: data.length },
        }).length,
      });
    }
    gz += compressed.get(file).gz;
    br += compressed.get(file).br;
  }
  return { gz, br };
}

/**
 * Start-up of every implementation for `enc`, taking turns: `coldRuns` loads
 * in a fresh profile each, then `warmRuns` reloads of the first one. With
 * `input` (a file in inputDir) the first count is of that text, fetched by
 * the page alongside the modules, instead of "Hello, world!". Returns, per
 * implementation, `{ cold, warm, gz, br }`: the `window.startup` of each load
 * and the compressed sizes of the files the first cold load fetched.
 */
export async function measureStartup(server, enc, { coldRuns = COLD_RUNS, warmRuns = WARM_RUNS, input } = {}) {
  const cold = Object.fromEntries(IMPLS.map((i) => [i, []]));
  const warm = Object.fromEntries(IMPLS.map((i) => [i, []]));
  for (let r = 0; r < coldRuns; r++) {
    for (const impl of IMPLS) {
      log(`start-up ${enc} ${impl} run ${r + 1}`);
      const browser = await launchChromium();
      try {
        const { page, startup } = await openPage(browser.context, server.url, impl, enc, input);
        if (!input && startup.count !== 4) mismatch(`${enc} ${impl} in Chromium counts "Hello, world!" as ${startup.count}`);
        if (!startup.isolated) log("  (the page is not cross-origin isolated)");
        cold[impl].push(startup);
        if (r === 0) {
          for (let w = 0; w < warmRuns; w++) {
            await page.reload();
            warm[impl].push(await waitStartup(page, impl));
          }
        }
      } finally {
        await closeBrowser(browser);
      }
    }
  }
  return Object.fromEntries(
    IMPLS.map((impl) => [impl, { cold: cold[impl], warm: warm[impl], ...compressedSizes(cold[impl][0].urls, server.pkgDir) }]),
  );
}

async function startup(server) {
  out("### B1. Start-up\n");
  out(
    `Cold: a fresh browser profile per load (no HTTP, code or Cache API cache), median of ${COLD_RUNS}. ` +
      "`navigation → first count` is `performance.now()` (which starts at navigation) when the first count of " +
      '"Hello, world!" returned: page, harness, module(s), Wasm compile, vocabulary download and ' +
      "tokenizer build. `import → first count` starts at the harness's first `import()`. Warm: the same page " +
      `reloaded ${WARM_RUNS} times after the first cold load (HTTP cache, V8 code cache; ours also reads its ` +
      "vocabulary from the Cache API), median. `downloaded` is the encoded body size of every resource " +
      "fetched except the page and harness (sent uncompressed here); `gzip` / `brotli` are the same files " +
      "compressed with gzip -9 and brotli -11, what a server sending precompressed files would transfer.\n",
  );
  out(
    "| implementation | encoding | downloaded | gzip / brotli | cold: navigation → first count | cold: import → first count | warm reload: navigation → first count |",
  );
  out("|---|---|---:|---:|---:|---:|---:|");
  for (const enc of ENCODINGS) {
    const results = await measureStartup(server, enc);
    for (const impl of IMPLS) {
      const { cold, warm, gz, br } = results[impl];
      const m = (xs, f) => median(xs.map(f));
      out(
        `| ${impl} | ${enc} | ${(m(cold, (x) => x.bytes) / MB).toFixed(2)} MB | ${(gz / MB).toFixed(2)} / ${(br / MB).toFixed(2)} MB | ${fmtMs(m(cold, (x) => x.sinceNavigation))} | ` +
          `${fmtMs(m(cold, (x) => x.sinceImport))} | ${fmtMs(m(warm, (x) => x.sinceNavigation))} |`,
      );
    }
  }
  out();
}

async function throughput(server, reference) {
  out("### B2. Throughput counting 1 MB of text\n");
  out(
    `MB/s, median of ${RUNS} runs; one page per implementation, taking turns. The inputs are the Node ` +
      "section's prose and CJK texts, fetched by the page. Each page's first count is checked against our " +
      "count under Node (the `agree` column). gpt-tokenizer's merge cache is cleared before each run; " +
      "`cache off` is gpt-tokenizer with `setMergeCacheSize(0)` (see the Node section: the inputs repeat, " +
      "which its cache rewards); the ratio compares with the default configuration.\n",
  );
  out("| encoding | input | ours | tiktoken | js-tiktoken | gpt-tokenizer | gpt-tokenizer, cache off | ours ÷ fastest peer | agree |");
  out("|---|---|---:|---:|---:|---:|---:|---:|---|");
  const browser = await launchChromium();
  try {
    for (const enc of ENCODINGS) {
      const pages = {};
      for (const impl of IMPLS) pages[impl] = (await openPage(browser.context, server.url, impl, enc)).page;
      for (const name of ["prose-1mb.txt", "CJK-1mb.txt"]) {
        log(`throughput ${enc} ${name}`);
        const times = Object.fromEntries(IMPLS.map((i) => [i, []]));
        let agree = true;
        let bytes = 0;
        for (const impl of IMPLS) {
          bytes = await pages[impl].evaluate((n) => window.harness.text(n), name);
          const { n } = await pages[impl].evaluate((n) => window.harness.once(n), name); // warm-up
          if (n !== reference[`${enc} ${name}`]) {
            agree = false;
            mismatch(`${enc} ${name}: ${impl} in Chromium counts ${n}, ours under Node ${reference[`${enc} ${name}`]}`);
          }
        }
        const noCache = [];
        for (let r = 0; r < RUNS; r++) {
          for (const impl of IMPLS) {
            times[impl].push((await pages[impl].evaluate((n) => window.harness.once(n), name)).ms);
          }
          noCache.push((await pages["gpt-tokenizer"].evaluate((n) => window.harness.onceNoCache(n), name)).ms);
        }
        const rate = Object.fromEntries(IMPLS.map((i) => [i, mbps(bytes, median(times[i]))]));
        const best = Math.max(...IMPLS.slice(1).map((i) => rate[i]));
        out(
          `| ${enc} | ${name.replace("-1mb.txt", "")} | ${IMPLS.map((i) => rate[i].toFixed(1)).join(" | ")} | ` +
            `${mbps(bytes, median(noCache)).toFixed(1)} | ` +
            `${(rate.ours / best).toFixed(2)}× | ${agree ? "yes" : "**NO**"} |`,
        );
      }
      for (const p of Object.values(pages)) await p.close();
    }
  } finally {
    await closeBrowser(browser);
  }
  out();
}

async function pathological(server, reference) {
  const enc = "o200k_base";
  out("### B3. Pathological inputs (o200k_base)\n");
  out(
    "Time to count one input in the page (median of 3–5 runs when a run takes under 0.5 s, else one run; " +
      `gpt-tokenizer's merge cache cleared before each run). A case gets ${BUDGET_S} s; past that the browser ` +
      `is closed (\`> ${BUDGET_S} s (timeout)\`), a new one started, and that implementation is not run at the ` +
      "larger size (`not run`). `crash:` is the error thrown in the page. Counts are checked against ours " +
      "under Node.\n",
  );
  out("| input | size | ours | tiktoken | js-tiktoken | gpt-tokenizer |");
  out("|---|---|---:|---:|---:|---:|");
  const cells = {};
  for (const impl of IMPLS) {
    let browser = await launchChromium();
    let page = (await openPage(browser.context, server.url, impl, enc)).page;
    const restart = async () => {
      await closeBrowser(browser);
      browser = await launchChromium();
      page = (await openPage(browser.context, server.url, impl, enc)).page;
    };
    try {
      for (const { kind } of PATHO) {
        let stopped = null;
        for (const size of PATHO_SIZES) {
          const key = `${kind} ${size}`;
          cells[key] ??= {};
          if (stopped) {
            cells[key][impl] = { skipped: stopped };
            continue;
          }
          log(`pathological ${enc} ${kind} ${fmtSize(size)} ${impl}`);
          const name = `${kind}-${size}.txt`;
          await page.evaluate((n) => window.harness.text(n), name);
          const r = await within(
            page.evaluate((n) => window.harness.time(n, { runs: 5 }), name),
            BUDGET_S * 1000,
          );
          if (r === TIMEOUT) {
            cells[key][impl] = { timeout: true };
            stopped = fmtSize(size);
            log("  timeout");
            await restart();
          } else if (r.error) {
            cells[key][impl] = { crash: String(r.error.message ?? r.error).split("\n")[0] };
            log(`  crash: ${r.error.message}`);
            await restart();
          } else {
            cells[key][impl] = { ms: r.value.ms, n: r.value.n };
            log(`  ${fmtMs(r.value.ms)} (${r.value.runs} runs) -> ${r.value.n}`);
            const want = reference[`${enc} ${name}`];
            if (r.value.n !== want) mismatch(`${enc} ${kind} ${fmtSize(size)}: ${impl} in Chromium counts ${r.value.n}, ours under Node ${want}`);
          }
        }
      }
    } finally {
      await closeBrowser(browser);
    }
  }
  const label = Object.fromEntries(PATHO.map((p) => [p.kind, p.label]));
  for (const { kind } of PATHO) {
    for (const size of PATHO_SIZES) {
      const c = cells[`${kind} ${size}`];
      const show = (x) =>
        x.ms !== undefined
          ? fmtMs(x.ms)
          : x.timeout
            ? `> ${BUDGET_S} s (timeout)`
            : x.crash
              ? `crash: ${x.crash.replace(/\|/g, "\\|").slice(0, 120)}`
              : `not run (timed out at ${x.skipped})`;
      out(`| ${label[kind]} | ${fmtSize(size)} | ${IMPLS.map((i) => show(c[i])).join(" | ")} |`);
    }
  }
  out();
}

async function keystrokes(server) {
  const enc = "o200k_base";
  out("### B4. Keystroke latency (o200k_base)\n");
  out(
    `Ours: a \`PreflightMeter\` in the page (contract with no prompt, gpt-4.1) holds the document; ${EDITS} ` +
      `single-character inserts at random positions (seeded), then ${EDITS} single-character deletes, each ` +
      "`edit` call timed alone (median / 95th percentile). `setText` is the first load of the document. " +
      "After each phase the meter's count is checked against `countTokens` of the same text. The peers have " +
      "no incremental mode: a full recount of the document per keystroke (median of 5, 1 run when over " +
      "1.5 s; gpt-tokenizer's merge cache warm).\n",
  );
  out("| document | `setText` | insert (median / p95) | delete (median / p95) | full recount: ours | tiktoken | js-tiktoken | gpt-tokenizer |");
  out("|---|---:|---:|---:|---:|---:|---:|---:|");
  const browser = await launchChromium();
  try {
    const pages = {};
    for (const impl of IMPLS) pages[impl] = (await openPage(browser.context, server.url, impl, enc)).page;
    for (const [name, label] of [
      ["prose-100kb.txt", "100 KB prose"],
      ["prose-1mb.txt", "1 MB prose"],
    ]) {
      log(`keystrokes ${enc} ${label}`);
      for (const impl of IMPLS) await pages[impl].evaluate((n) => window.harness.text(n), name);
      const k = await pages.ours.evaluate(
        ({ name, contract, edits }) => window.harness.keystrokes(name, contract, "big", edits, 0xc0ffee),
        { name, contract: benchContract(enc, 1_000_000), edits: EDITS },
      );
      if (!k.ok) mismatch(`${enc} ${label}: the meter's count in Chromium differs from countTokens`);
      const recounts = [];
      for (const impl of IMPLS) {
        recounts.push((await pages[impl].evaluate((n) => window.harness.recount(n, 5), name)).ms);
      }
      const stat = (xs) => `${fmtMs(median(xs))} / ${fmtMs(percentile(xs, 95))}`;
      out(`| ${label} | ${fmtMs(k.setText)} | ${stat(k.inserts)} | ${stat(k.deletes)} | ${recounts.map(fmtMs).join(" | ")} |`);
    }
  } finally {
    await closeBrowser(browser);
  }
  out();
}

/** `chromium --version`'s line. */
export function chromiumVersion() {
  try {
    return execFileSync(CHROMIUM, ["--version"], { stdio: ["ignore", "pipe", "ignore"] }).toString().trim();
  } catch {
    return "Chromium ?";
  }
}

async function main() {
  SNAP = snapshotPkg();
  header(chromiumVersion());
  log("writing inputs");
  const texts = writeInputs();
  // Reference counts: ours under Node.
  const ours = await import(pathToFileURL(join(SNAP.dir, "node.js")).href);
  const reference = {};
  for (const enc of ENCODINGS) {
    for (const { name, text } of texts) reference[`${enc} ${name}-1mb.txt`] = ours.countTokens(text, enc).count;
    for (const { kind } of PATHO) {
      for (const size of PATHO_SIZES) {
        const name = `${kind}-${size}.txt`;
        reference[`${enc} ${name}`] = ours.countTokens(readFileSync(join(inputDir, name), "utf8"), enc).count;
      }
    }
  }
  const server = await startServer(SNAP.dir);
  try {
    const only = process.env.BENCH_SECTIONS?.split(",");
    const run = (s) => !only || only.includes(s);
    if (run("startup")) await startup(server);
    if (run("throughput")) await throughput(server, reference);
    if (run("patho")) await pathological(server, reference);
    if (run("keys")) await keystrokes(server);
  } finally {
    await server.stop();
  }
  if (mismatches === 0) out("All four implementations agreed with our Node counts on every input that they finished in Chromium.\n");
  else {
    out(`> **${mismatches} MISMATCH(ES)**: see above.\n`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  // Playwright closes its browsers on these signals but leaves the process running.
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => process.exit(130));
  await main();
}
