// Our Wasm tokenizer (pkg/, `countTokens` and the incremental
// `PreflightMeter`) against the npm tokenizers people use from JavaScript:
// `tiktoken` (OpenAI's Rust core compiled to Wasm), `js-tiktoken` (pure JS
// port) and `gpt-tokenizer` (pure JS), under Node.
//
// `make bench-tokenizers-js` (with benches/tokenizers-browser.mjs), or
// `node benches/tokenizers-js.mjs` once `make pkg` has built pkg/dist.
// Markdown on stdout, progress on stderr.
//
// Sections:
//  0. equality check of the counts (and of the peers' token ids) on 1 MB of
//     prose, code and CJK, before anything is timed;
//  1. throughput (MB/s) on those texts;
//  2. pathological inputs at 10 KB, 100 KB and 1 MB, each case in a fresh
//     child process with a time budget (killed when over it);
//  3. "is 1 MB within 8,000 tokens?";
//  4. start-up (import until the first count) and memory, each in a fresh
//     child process;
//  5. keystroke latency: our meter's `edit` against a full recount.
//
// Any disagreement is printed as **MISMATCH** and makes the exit status 1.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ENCODINGS,
  IMPLS,
  KB,
  MB,
  PATHO,
  PATHO_SIZES,
  Rng,
  benchContract,
  byteLength,
  fill,
  fmtInt,
  fmtMiB,
  fmtMs,
  fmtSize,
  loadNode,
  machineLines,
  mbps,
  median,
  npmVersion,
  pathoFile,
  percentile,
  realFile,
  today,
  writeInputs,
  snapshotPkg,
  pkgLine,
} from "./tokenizers-js-lib.mjs";

const SELF = fileURLToPath(import.meta.url);
/** Timed runs per throughput figure (median); 3 when one run takes over 1.5 s. */
const RUNS = 7;
/** Seconds a pathological case may take before its child process is killed. */
const BUDGET_S = Number(process.env.BENCH_BUDGET_S ?? 20);
/** Fresh child processes per start-up figure (median). */
const STARTUP_RUNS = 5;
/** Single-character inserts (then as many deletes) per meter document. */
const EDITS = 200;
const LIMIT = 8000;
/** The copy of pkg/ measured (made by the parent; children get its directory in their task). */
const SNAP = process.argv[2] === "--child" ? null : snapshotPkg();

const out = (s = "") => process.stdout.write(s + "\n");
const log = (s) => process.stderr.write(s + "\n");
let mismatches = 0;
function mismatch(what) {
  mismatches++;
  log(`!!! MISMATCH: ${what}`);
  out(`\n> **MISMATCH**: ${what}\n`);
}

/** The count in a meter/tokens result (the built pkg returns the tokens section; newer sources wrap it in `{ tokens, issues }`). */
const inputOf = (r) => (r.tokens ? r.tokens.input : r.input);

function timed(f) {
  const t = performance.now();
  const r = f();
  return [performance.now() - t, r];
}

// ----------------------------------------------------------- child process

async function child(task) {
  if (task.kind === "startup") {
    const mem0 = process.memoryUsage();
    const t0 = performance.now();
    let n = 0;
    let tk;
    if (task.impl !== "none") {
      tk = await loadNode(task.impl, task.encoding, task.pkg);
      n = tk.count("Hello, world!");
    }
    const t1 = performance.now();
    const mem1 = process.memoryUsage();
    let mem2 = mem1;
    let n1 = 0;
    if (tk) {
      const text = readFileSync(task.prose, "utf8");
      n1 = tk.count(text);
      mem2 = process.memoryUsage();
    }
    const hwm = Number(readFileSync("/proc/self/status", "utf8").match(/VmHWM:\s+(\d+)/)[1]) * 1024;
    process.stdout.write(
      JSON.stringify({ ms: t1 - t0, sinceStart: t1, n, n1, mem0, mem1, mem2, hwm }) + "\n",
    );
    return;
  }
  if (task.kind === "patho") {
    const tk = await loadNode(task.impl, task.encoding, task.pkg);
    tk.count("warm up the tokenizer: Hello, world! 12345");
    const text = readFileSync(task.file, "utf8");
    process.stdout.write("ready\n");
    try {
      const times = [];
      let n;
      const started = performance.now();
      do {
        tk.clearCache?.();
        const [ms, c] = timed(() => tk.count(text));
        times.push(ms);
        n = c;
      } while (times[0] < 500 && times.length < 15 && (times.length < 3 || performance.now() - started < 1500));
      process.stdout.write(JSON.stringify({ times, n }) + "\n");
    } catch (e) {
      process.stdout.write(JSON.stringify({ error: String(e?.message ?? e).split("\n")[0], name: e?.name }) + "\n");
    }
    return;
  }
  throw new Error(`unknown task ${task.kind}`);
}

/**
 * Runs a child task. With `budgetMs`, the child is killed that long after
 * it printed "ready" (loading is not part of the budget).
 * Resolves to `{ result }`, `{ timeout: true }` or `{ crash: message }`.
 */
const live = new Set();
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    for (const proc of live) proc.kill("SIGKILL");
    process.exit(130);
  });
}

function runChild(task, { budgetMs } = {}) {
  return new Promise((resolve) => {
    const proc = spawn(process.execPath, [SELF, "--child", JSON.stringify(task)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    live.add(proc);
    let stdout = "";
    let stderr = "";
    let timer;
    let timedOut = false;
    const arm = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        timedOut = true;
        proc.kill("SIGKILL");
      }, ms);
    };
    arm(120_000); // loading
    proc.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (budgetMs && stdout.startsWith("ready\n") && !proc.armed) {
        proc.armed = true;
        arm(budgetMs);
      }
    });
    proc.stderr.on("data", (chunk) => (stderr += chunk));
    proc.on("close", (code, signal) => {
      live.delete(proc);
      clearTimeout(timer);
      if (timedOut) return resolve({ timeout: true });
      const line = stdout
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .pop();
      if (line) {
        const result = JSON.parse(line);
        if (result.error) return resolve({ crash: `${result.name ?? "Error"}: ${result.error}` });
        return resolve({ result });
      }
      const why =
        stderr
          .split("\n")
          .map((l) => l.trim())
          .find((l) => /error|fatal|abort|unreachable/i.test(l)) ??
        stderr.trim().split("\n").pop() ??
        "";
      resolve({ crash: `${why || "no output"} (exit ${code ?? signal})` });
    });
  });
}

// -------------------------------------------------------------- sections

function header() {
  out(`## Tokenizers in JavaScript: Node (${today()})\n`);
  out(
    "Command: `make bench-tokenizers-js` (`node benches/tokenizers-js.mjs`). Our Wasm build " +
      "(`pkg/dist`, `countTokens` and `PreflightMeter`) against npm " +
      `\`tiktoken\` ${npmVersion("tiktoken")} (OpenAI's Rust core compiled to Wasm), ` +
      `\`js-tiktoken\` ${npmVersion("js-tiktoken")} (pure JS) and \`gpt-tokenizer\` ${npmVersion("gpt-tokenizer")} (pure JS), ` +
      "one thread. 1 KB = 1,024 bytes and 1 MB = 1,048,576 bytes (UTF-8), also in MB/s. " +
      "Special tokens are counted as ordinary text by all four (`encode_ordinary`, " +
      "`encode(text, [], [])`, `{ disallowedSpecial: new Set() }`).\n",
  );
  out("### Machine\n");
  for (const l of machineLines()) out(l);
  out(pkgLine(SNAP));
  out();
}

function verify(engines, texts) {
  out("### 0. Equality check\n");
  out(
    "Before timing: our count against the peers' counts on every text, and the token ids of the three " +
      "peers against each other (our Wasm API returns counts, not ids; the native bench compares our ids).\n",
  );
  out("| encoding | input | bytes | ours | tiktoken | js-tiktoken | gpt-tokenizer | agree |");
  out("|---|---|---:|---:|---:|---:|---:|---|");
  for (const enc of ENCODINGS) {
    for (const { name, text } of texts) {
      log(`verify ${enc} ${name}`);
      const e = engines[enc];
      const counts = {};
      const ids = {};
      for (const impl of IMPLS) {
        if (e[impl].ids) {
          ids[impl] = e[impl].ids(text);
          counts[impl] = ids[impl].length;
        } else counts[impl] = e[impl].count(text);
      }
      let same = true;
      for (const impl of IMPLS.slice(1)) {
        if (counts[impl] !== counts.ours) {
          same = false;
          mismatch(`${enc} ${name}: ours counts ${counts.ours}, ${impl} counts ${counts[impl]}`);
        }
      }
      const ref = ids.tiktoken;
      for (const impl of ["js-tiktoken", "gpt-tokenizer"]) {
        const other = ids[impl];
        const at = ref.findIndex((id, i) => other[i] !== id);
        if (at >= 0 || other.length !== ref.length) {
          same = false;
          mismatch(`${enc} ${name}: ${impl} ids differ from tiktoken's (first difference at token ${at})`);
        }
      }
      out(
        `| ${enc} | ${name} | ${fmtInt(byteLength(text))} | ${IMPLS.map((i) => fmtInt(counts[i])).join(" | ")} | ${same ? "yes" : "**NO**"} |`,
      );
    }
  }
  out();
}

function throughput(engines, texts) {
  out("### 1. Throughput counting 1 MB of text\n");
  out(
    `MB/s, median of ${RUNS} runs (3 when a run takes over 1.5 s); the implementations take turns, so ` +
      "background load hits them alike. Prose is the English line of `tests/corpus/multilingual.txt` with " +
      "`README.md` and `BENCHMARKS.md`, repeated; code is `src/**/*.rs` concatenated and repeated; CJK is the " +
      "corpus's Chinese and Japanese lines, repeated (the same inputs as the native bench). Calls: ours " +
      "`countTokens`, tiktoken `encode_ordinary(t).length`, js-tiktoken `encode(t).length`, gpt-tokenizer " +
      "`countTokens`. gpt-tokenizer keeps a merge cache (100,000 entries) across calls; it is cleared before " +
      "each run here, as for new text, but it still helps inside a run because the inputs repeat (the CJK " +
      "text is a few lines repeated, so nearly every piece after the first copy is a cache hit). The " +
      "`cache off` column is gpt-tokenizer with `setMergeCacheSize(0)`, closer to text that does not repeat; " +
      "the ratio column compares with the default configuration.\n",
  );
  out("| encoding | input | ours | tiktoken | js-tiktoken | gpt-tokenizer | gpt-tokenizer, cache off | ours ÷ fastest peer |");
  out("|---|---|---:|---:|---:|---:|---:|---:|");
  const results = {};
  for (const enc of ENCODINGS) {
    for (const { name, text } of texts) {
      log(`throughput ${enc} ${name}`);
      const e = engines[enc];
      const bytes = byteLength(text);
      const times = Object.fromEntries(IMPLS.map((i) => [i, []]));
      const runs = {};
      for (const impl of IMPLS) {
        e[impl].clearCache?.();
        const [ms] = timed(() => e[impl].count(text));
        runs[impl] = ms > 1500 ? 3 : RUNS;
      }
      for (let r = 0; r < RUNS; r++) {
        for (const impl of IMPLS) {
          if (r >= runs[impl]) continue;
          e[impl].clearCache?.();
          times[impl].push(timed(() => e[impl].count(text))[0]);
        }
      }
      const rate = Object.fromEntries(IMPLS.map((i) => [i, mbps(bytes, median(times[i]))]));
      results[`${enc} ${name}`] = rate;
      const best = Math.max(...IMPLS.slice(1).map((i) => rate[i]));
      const gpt = e["gpt-tokenizer"];
      gpt.setCacheSize(0);
      const [first] = timed(() => gpt.count(text));
      const noCache = [];
      for (let r = 0; r < (first > 1500 ? 3 : RUNS); r++) noCache.push(timed(() => gpt.count(text))[0]);
      gpt.setCacheSize(100_000);
      out(
        `| ${enc} | ${name} | ${IMPLS.map((i) => rate[i].toFixed(1)).join(" | ")} | ${mbps(bytes, median(noCache)).toFixed(1)} | ${(rate.ours / best).toFixed(2)}× |`,
      );
    }
  }
  out();
  return results;
}

async function pathological() {
  out("### 2. Pathological inputs\n");
  out(
    "Time to count one input (UTF-8 size), each case in a fresh child `node` process: the tokenizer is " +
      "loaded and warmed up, then the count is timed (median of 3–15 runs when a run takes under 0.5 s, " +
      `else one run; gpt-tokenizer's merge cache is cleared before each run). A case gets ${BUDGET_S} s once ` +
      `loaded; past that the child is killed (\`> ${BUDGET_S} s (timeout)\`) and the implementation is not ` +
      "run at larger sizes of that input (`not run`). `crash:` is the error it threw (or the process's). " +
      "The counts of the cases that finished are compared with ours.\n",
  );
  const cells = {};
  for (const enc of ENCODINGS) {
    out(`**${enc}**\n`);
    out("| input | size | ours | tiktoken | js-tiktoken | gpt-tokenizer |");
    out("|---|---|---:|---:|---:|---:|");
    for (const { kind, label } of PATHO) {
      const row = Object.fromEntries(PATHO_SIZES.map((s) => [s, {}]));
      for (const impl of IMPLS) {
        let stopped = null;
        for (const size of PATHO_SIZES) {
          if (stopped) {
            row[size][impl] = { skipped: stopped };
            continue;
          }
          log(`pathological ${enc} ${kind} ${fmtSize(size)} ${impl}`);
          const r = await runChild(
            { kind: "patho", impl, encoding: enc, file: pathoFile(kind, size), pkg: SNAP.dir },
            { budgetMs: BUDGET_S * 1000 },
          );
          row[size][impl] = r;
          if (r.timeout) stopped = fmtSize(size);
          if (r.result) log(`  ${fmtMs(median(r.result.times))} (${r.result.times.length} runs) -> ${r.result.n}`);
          else log(`  ${JSON.stringify(r)}`);
        }
      }
      for (const size of PATHO_SIZES) {
        const c = row[size];
        const ours = c.ours.result?.n;
        for (const impl of IMPLS.slice(1)) {
          const n = c[impl].result?.n;
          if (ours !== undefined && n !== undefined && n !== ours) {
            mismatch(`${enc} ${label} ${fmtSize(size)}: ours counts ${ours}, ${impl} counts ${n}`);
          }
        }
        const show = (x) =>
          x.result
            ? fmtMs(median(x.result.times))
            : x.timeout
              ? `> ${BUDGET_S} s (timeout)`
              : x.crash
                ? `crash: ${x.crash.replace(/\|/g, "\\|").slice(0, 120)}`
                : `not run (timed out at ${x.skipped})`;
        out(`| ${label} | ${fmtSize(size)} | ${IMPLS.map((i) => show(c[i])).join(" | ")} |`);
        cells[`${enc} ${kind} ${size}`] = c;
      }
    }
    out();
  }
  return cells;
}

function earlyExit(engines, texts, glue) {
  const hasWithin = typeof glue.withinTokenLimit === "function";
  out(`### 3. Early exit: is 1 MB within ${fmtInt(LIMIT)} tokens?\n`);
  out(
    (hasWithin
      ? "Ours: `withinTokenLimit(text, encoding, 8000)`, the core's `Tokenizer::within` exported to " +
        "JavaScript (it stops once the answer is known); also `countTokens` on the full text and " +
        "`Preflight.checkText`, which counts the whole text, "
      : "The build measured has **no early-exit export** (the core's `Tokenizer::within` is not exposed to " +
        "JavaScript, and `Preflight.checkText` counts the whole text), so ours is `countTokens` on the full " +
        "text and `checkText`, ") +
      `with a contract whose tier allows ${fmtInt(LIMIT)} input tokens (the whole check: input analysis, ` +
      "full count, tokens section and issues). gpt-tokenizer: `isWithinTokenLimit(text, 8000)`, which " +
      "stops early (merge cache cleared first). tiktoken and js-tiktoken have no early exit: a full encode. " +
      "Median of 5 runs (3 when a run takes over 1.5 s); every answer must be \"no\".\n",
  );
  out(
    `| encoding | input |${hasWithin ? " ours `withinTokenLimit` |" : ""} ours \`countTokens\` | ours \`checkText\` | tiktoken | js-tiktoken | gpt-tokenizer \`isWithinTokenLimit\` |`,
  );
  out(`|---|---|${hasWithin ? "---:|" : ""}---:|---:|---:|---:|---:|`);
  for (const enc of ENCODINGS) {
    const pf = new glue.Preflight(benchContract(enc, LIMIT));
    for (const { name, text } of texts) {
      log(`early exit ${enc} ${name}`);
      const e = engines[enc];
      const ways = [
        ...(hasWithin ? [["ours withinTokenLimit", () => glue.withinTokenLimit(text, enc, LIMIT).within]] : []),
        ["ours countTokens", () => e.ours.count(text) <= LIMIT],
        [
          "ours checkText",
          () => {
            const report = pf.checkText("big", text);
            return report.tokens.state !== "over" && report.tokens.input <= LIMIT;
          },
        ],
        ["tiktoken", () => e.tiktoken.count(text) <= LIMIT],
        ["js-tiktoken", () => e["js-tiktoken"].count(text) <= LIMIT],
        [
          "gpt-tokenizer",
          () => {
            e["gpt-tokenizer"].clearCache();
            return e["gpt-tokenizer"].within(text, LIMIT) !== false;
          },
        ],
      ];
      const cells = ways.map(([label, f]) => {
        const [first, answer] = timed(f);
        if (answer !== false) mismatch(`${enc} ${name}: ${label} answered ${answer} to "within ${LIMIT}?"`);
        const times = [];
        for (let r = 0; r < (first > 1500 ? 3 : 5); r++) times.push(timed(f)[0]);
        return fmtMs(median(times));
      });
      out(`| ${enc} | ${name} | ${cells.join(" | ")} |`);
    }
    pf.free();
  }
  out();
}

async function startup() {
  out("### 4. Start-up and memory\n");
  out(
    `Each figure is from a fresh child \`node\` process (median of ${STARTUP_RUNS}): the time from the ` +
      'first `import()` of the implementation to the end of its first count of "Hello, world!". Ours: ' +
      "import the generated glue, `initSync` with `prompt_preflight_bg.wasm` read from disk, " +
      "`installTokenizer` with that encoding's `.bin` (what `pkg/node.js` does, for one vocabulary); " +
      "`ours (pkg/node.js)` is the package's Node entry as published, which installs both vocabularies on " +
      "import (one row, encoding `both`). tiktoken: `get_encoding` from the default entry " +
      "(one 5.6 MB Wasm module with every encoding inside); `tiktoken/lite`: the lite Wasm module plus " +
      "`tiktoken/encoders/<encoding>.json` (what the browser build uses). js-tiktoken: `js-tiktoken/lite` " +
      "with `js-tiktoken/ranks/<encoding>`. gpt-tokenizer: `gpt-tokenizer/encoding/<encoding>`. Memory is " +
      "`process.memoryUsage()`: RSS and V8 heap used after start-up, then RSS and the peak RSS (VmHWM) after " +
      "also reading and counting the 1 MB prose text. `none` is the child process alone.\n",
  );
  out(
    "| implementation | encoding | start-up | RSS after start-up | heap used | external + array buffers | RSS after counting 1 MB | peak RSS |",
  );
  out("|---|---|---:|---:|---:|---:|---:|---:|");
  const rows = ["none", "ours", "ours-both", "tiktoken", "tiktoken-lite", "js-tiktoken", "gpt-tokenizer"];
  const label = {
    none: "none",
    ours: "ours",
    "ours-both": "ours (`pkg/node.js`)",
    tiktoken: "tiktoken",
    "tiktoken-lite": "tiktoken (`tiktoken/lite` + JSON)",
    "js-tiktoken": "js-tiktoken",
    "gpt-tokenizer": "gpt-tokenizer",
  };
  const results = {};
  for (const impl of rows) {
    for (const enc of ENCODINGS) {
      if ((impl === "none" || impl === "ours-both") && enc !== "o200k_base") continue;
      log(`start-up ${impl} ${enc}`);
      const runs = [];
      for (let r = 0; r < STARTUP_RUNS; r++) {
        const res = await runChild({ kind: "startup", impl, encoding: enc, prose: realFile("prose"), pkg: SNAP.dir });
        if (res.result) runs.push(res.result);
        else log(`  start-up child failed: ${JSON.stringify(res)}`);
      }
      if (!runs.length) {
        out(`| ${label[impl]} | ${enc} | failed | | | | | |`);
        continue;
      }
      const m = (f) => median(runs.map(f));
      results[`${impl} ${enc}`] = { ms: m((x) => x.ms), rss: m((x) => x.mem1.rss) };
      out(
        `| ${label[impl]} | ${impl === "none" ? "–" : impl === "ours-both" ? "both" : enc} | ${impl === "none" ? "–" : fmtMs(m((x) => x.ms))} | ` +
          `${fmtMiB(m((x) => x.mem1.rss))} | ${fmtMiB(m((x) => x.mem1.heapUsed))} | ${fmtMiB(m((x) => x.mem1.external + x.mem1.arrayBuffers))} | ` +
          `${impl === "none" ? "–" : fmtMiB(m((x) => x.mem2.rss))} | ${fmtMiB(m((x) => x.hwm))} |`,
      );
    }
  }
  out();
  return results;
}

function keystrokes(engines, prose, glue) {
  out("### 5. Keystroke latency\n");
  out(
    `Ours: a \`PreflightMeter\` (contract with no prompt) holds the document; ${EDITS} single-character ` +
      `inserts at random positions (seeded), then ${EDITS} single-character deletes, each \`edit(start, end, ` +
      "text)` call timed alone (median / 95th percentile, including the tokens object it returns). " +
      "`setText` is the first load of the document. The peers have no incremental mode: a keystroke costs " +
      "them a full recount of the edited document (median of 5, 3 when over 1.5 s; gpt-tokenizer's merge " +
      "cache stays warm here, as it would while typing). After the edits the meter's count is checked " +
      "against `countTokens` of the same text.\n",
  );
  out(
    "| encoding | document | `setText` | insert (median / p95) | delete (median / p95) | full recount: ours | tiktoken | js-tiktoken | gpt-tokenizer |",
  );
  out("|---|---|---:|---:|---:|---:|---:|---:|---:|");
  const results = {};
  for (const enc of ENCODINGS) {
    for (const size of [100 * KB, MB]) {
      const name = `${fmtSize(size)} prose`;
      log(`keystrokes ${enc} ${name}`);
      let doc = fill(prose, size);
      const pf = new glue.Preflight(benchContract(enc, enc === "o200k_base" ? 1_000_000 : 100_000));
      const meter = pf.meter("big");
      const [load, first] = timed(() => meter.setText(doc));
      if (inputOf(first) !== engines[enc].ours.count(doc)) mismatch(`${enc} ${name}: setText counts ${inputOf(first)}`);
      const rng = new Rng(0xc0ffee);
      const alphabet = "etaoin shrdlu,.";
      const safe = (at) => (at > 0 && at < doc.length && /[\uDC00-\uDFFF]/.test(doc[at]) ? at - 1 : at);
      const inserts = [];
      const deletes = [];
      let last;
      for (let i = 0; i < EDITS; i++) {
        const at = safe(rng.below(doc.length + 1));
        const ch = alphabet[rng.below(alphabet.length)];
        const [ms, r] = timed(() => meter.edit(at, at, ch));
        inserts.push(ms);
        last = r;
        doc = doc.slice(0, at) + ch + doc.slice(at);
      }
      if (inputOf(last) !== engines[enc].ours.count(doc)) mismatch(`${enc} ${name}: meter after inserts`);
      for (let i = 0; i < EDITS; i++) {
        let at = safe(rng.below(doc.length));
        const end = /[\uD800-\uDBFF]/.test(doc[at]) ? at + 2 : at + 1;
        const [ms, r] = timed(() => meter.edit(at, end, ""));
        deletes.push(ms);
        last = r;
        doc = doc.slice(0, at) + doc.slice(end);
      }
      if (inputOf(last) !== engines[enc].ours.count(doc)) {
        mismatch(`${enc} ${name}: meter says ${inputOf(last)} after deletes, countTokens ${engines[enc].ours.count(doc)}`);
      }
      const recounts = IMPLS.map((impl) => {
        const f = () => engines[enc][impl].count(doc);
        const [first] = timed(f);
        const times = [];
        for (let r = 0; r < (first > 1500 ? 3 : 5); r++) times.push(timed(f)[0]);
        return median(times);
      });
      results[`${enc} ${name}`] = { insert: median(inserts), recounts };
      const stat = (xs) => `${fmtMs(median(xs))} / ${fmtMs(percentile(xs, 95))}`;
      out(
        `| ${enc} | ${name} | ${fmtMs(load)} | ${stat(inserts)} | ${stat(deletes)} | ${recounts.map(fmtMs).join(" | ")} |`,
      );
      meter.free();
      pf.free();
    }
  }
  out();
  return results;
}

async function main() {
  header();
  log("writing inputs");
  const texts = writeInputs();
  const glue = await import(pathToFileURL(join(SNAP.dir, "node.js")).href);
  const engines = {};
  for (const enc of ENCODINGS) {
    engines[enc] = {};
    for (const impl of IMPLS) engines[enc][impl] = await loadNode(impl === "ours" ? "ours-both" : impl, enc, SNAP.dir);
  }
  // BENCH_SECTIONS=verify,throughput,patho,early,startup,keys runs a subset (for debugging).
  const only = process.env.BENCH_SECTIONS?.split(",");
  const run = (s) => !only || only.includes(s);
  if (run("verify")) verify(engines, texts);
  if (run("throughput")) throughput(engines, texts);
  if (run("patho")) await pathological();
  if (run("early")) earlyExit(engines, texts, glue);
  if (run("startup")) await startup();
  if (run("keys")) keystrokes(engines, texts[0].text, glue);
  if (mismatches === 0) out("All four implementations agreed on every count that they finished.\n");
  else {
    out(`> **${mismatches} MISMATCH(ES)**: see above.\n`);
    process.exitCode = 1;
  }
}

if (process.argv[2] === "--child") {
  await child(JSON.parse(process.argv[3]));
} else {
  await main();
}
