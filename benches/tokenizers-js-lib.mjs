// Shared by benches/tokenizers-js.mjs (Node) and
// benches/tokenizers-browser.mjs (Chromium): the inputs (built
// deterministically from repository files, like the native bench in
// benches/tokenizers/main.rs), the Node loaders of the four
// implementations, statistics, formatting and the machine description.
//
// Sizes are binary: 1 KB = 1,024 bytes, 1 MB = 1,048,576 bytes (UTF-8),
// also in MB/s.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, totalmem, loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const KB = 1024;
export const MB = 1024 * 1024;
export const ENCODINGS = ["o200k_base", "cl100k_base"];
export const IMPLS = ["ours", "tiktoken", "js-tiktoken", "gpt-tokenizer"];
/** Where the generated inputs are written (and served to the browser from). */
export const inputDir = join(root, "target", "bench-tokenizers-js", "inputs");

/** The published version of an npm package in node_modules. */
export function npmVersion(name) {
  try {
    return JSON.parse(readFileSync(join(root, "node_modules", name, "package.json"), "utf8")).version;
  } catch {
    return "?";
  }
}

// ---------------------------------------------------------------- inputs

/** SplitMix64, the same generator and seeds as the native bench. */
export class Rng {
  constructor(seed) {
    this.state = BigInt.asUintN(64, BigInt(seed));
  }
  next() {
    this.state = BigInt.asUintN(64, this.state + 0x9e3779b97f4a7c15n);
    let z = this.state;
    z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
    z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
    return z ^ (z >> 31n);
  }
  /** A number in 0..n. */
  below(n) {
    return Number(this.next() % BigInt(n));
  }
}

const utf8 = new TextEncoder();
export const byteLength = (s) => utf8.encode(s).length;

/** `seed` repeated (a line break between copies), cut to at most `size` UTF-8 bytes at a character boundary. */
export function fill(seed, size) {
  const unit = utf8.encode(seed + "\n");
  const bytes = new Uint8Array(size + unit.length);
  for (let at = 0; at < size; at += unit.length) bytes.set(unit, at);
  let end = size;
  while ((bytes[end] & 0xc0) === 0x80) end--; // not a continuation byte
  return new TextDecoder().decode(bytes.subarray(0, end));
}

function collectRs(dir, out) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) collectRs(p, out);
    else if (e.name.endsWith(".rs")) out.push(p);
  }
  return out;
}

/** The real texts, 1 MB each: prose, code, CJK (as in benches/tokenizers/main.rs). */
export function realTexts() {
  const corpus = readFileSync(join(root, "tests/corpus/multilingual.txt"), "utf8");
  const english = corpus.split("\n")[0];
  const prose = `${english}\n${readFileSync(join(root, "README.md"), "utf8")}\n${readFileSync(join(root, "BENCHMARKS.md"), "utf8")}`;
  // Rust's PathBuf sort is byte-wise on the path: the same as sorting the strings here.
  const files = collectRs(join(root, "src"), []).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const code = files.map((f) => readFileSync(f, "utf8")).join("");
  const isCjk = (c) => /[\u3040-\u30FF\u4E00-\u9FFF]/u.test(c);
  const cjk = corpus.split("\n").filter((l) => l.length > 0 && isCjk([...l][0]));
  if (cjk.length < 2) throw new Error("the corpus has Chinese and Japanese lines");
  return [
    { name: "prose", text: fill(prose, MB) },
    { name: "code", text: fill(code, MB) },
    { name: "CJK", text: fill(cjk.join("\n"), MB) },
  ];
}

export const PATHO = [
  { kind: "letter", label: "`aaaa…`" },
  { kind: "spaces", label: "spaces then `x`" },
  { kind: "digits", label: "random digits" },
  { kind: "base64", label: "random base64" },
];
export const PATHO_SIZES = [10 * KB, 100 * KB, MB];

/** `size` bytes of a pathological kind (seeds as in the native bench). */
export function makePatho(kind, size) {
  const rng = new Rng(0x5eed0000 + size);
  const random = (alphabet) => {
    const out = new Array(size);
    for (let i = 0; i < size; i++) out[i] = alphabet[rng.below(alphabet.length)];
    return out.join("");
  };
  switch (kind) {
    case "letter":
      return "a".repeat(size);
    case "spaces":
      return " ".repeat(size - 1) + "x";
    case "base64":
      return random("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    case "digits":
      return random("0123456789");
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

export const pathoFile = (kind, size) => join(inputDir, `${kind}-${size}.txt`);
export const realFile = (name) => join(inputDir, `${name}-1mb.txt`);

/** Writes every input to `inputDir` (once) and returns the real texts. */
export function writeInputs() {
  mkdirSync(inputDir, { recursive: true });
  const texts = realTexts();
  for (const { name, text } of texts) writeFileSync(realFile(name), text);
  writeFileSync(join(inputDir, "prose-100kb.txt"), fill(texts[0].text, 100 * KB));
  for (const { kind } of PATHO) {
    for (const size of PATHO_SIZES) {
      const file = pathoFile(kind, size);
      if (!existsSync(file) || readFileSync(file).length !== size) writeFileSync(file, makePatho(kind, size));
    }
  }
  return texts;
}

/**
 * A contract with no prompt, for a pure-document meter or check: gpt-4.1
 * (o200k_base, 1,047,576-token window) or gpt-4-turbo (cl100k_base, 128,000;
 * a 1 MB document is over its limit, which the meter reports but still counts).
 */
export function benchContract(encoding, maxInput) {
  const model = encoding === "o200k_base" ? "gpt-4.1" : "gpt-4-turbo";
  return `id = "bench"\nversion = "1.0.0"\n[model]\nname = "${model}"\n[tiers.big]\nmax_input_tokens = ${maxInput}\nmax_output_tokens = 1000\n`;
}

// ------------------------------------------------------------ Node loaders

/**
 * Loads one implementation for one encoding, under Node (ours from `pkgDir`). Returns
 * `{ count(text), ids?(text), within?(text, limit), clearCache?() }`.
 * Special tokens in the text are ordinary text everywhere (`src/` contains
 * `<|endoftext|>`): npm tiktoken `encode_ordinary`, js-tiktoken
 * `encode(text, [], [])`, gpt-tokenizer `{ disallowedSpecial: new Set() }`.
 */
export async function loadNode(impl, encoding, pkgDir = join(root, "pkg")) {
  switch (impl) {
    case "ours": {
      // What pkg/node.js does, for one vocabulary.
      const glue = await import(pathToFileURL(join(pkgDir, "dist/prompt_preflight.js")).href);
      glue.initSync({ module: readFileSync(join(pkgDir, "dist/prompt_preflight_bg.wasm")) });
      glue.installTokenizer(readFileSync(join(pkgDir, `dist/${encoding}.bin`)));
      return { count: (t) => glue.countTokens(t, encoding).count, glue };
    }
    case "ours-both": {
      const m = await import(pathToFileURL(join(pkgDir, "node.js")).href);
      return { count: (t) => m.countTokens(t, encoding).count, glue: m };
    }
    case "tiktoken": {
      const { get_encoding } = await import("tiktoken");
      const enc = get_encoding(encoding);
      return { count: (t) => enc.encode_ordinary(t).length, ids: (t) => Array.from(enc.encode_ordinary(t)) };
    }
    case "tiktoken-lite": {
      const { Tiktoken } = await import("tiktoken/lite");
      const ranks = JSON.parse(readFileSync(join(root, `node_modules/tiktoken/encoders/${encoding}.json`), "utf8"));
      const enc = new Tiktoken(ranks.bpe_ranks, ranks.special_tokens, ranks.pat_str);
      return { count: (t) => enc.encode_ordinary(t).length };
    }
    case "js-tiktoken": {
      const { Tiktoken } = await import("js-tiktoken/lite");
      const ranks = (await import(`js-tiktoken/ranks/${encoding}`)).default;
      const enc = new Tiktoken(ranks);
      return { count: (t) => enc.encode(t, [], []).length, ids: (t) => enc.encode(t, [], []) };
    }
    case "gpt-tokenizer": {
      const api = await import(`gpt-tokenizer/encoding/${encoding}`);
      const opts = { disallowedSpecial: new Set() };
      return {
        count: (t) => api.countTokens(t, opts),
        ids: (t) => api.encode(t, opts),
        within: (t, limit) => api.isWithinTokenLimit(t, limit, opts),
        clearCache: () => api.clearMergeCache(),
        setCacheSize: (n) => api.setMergeCacheSize(n),
      };
    }
    default:
      throw new Error(`unknown implementation ${impl}`);
  }
}

// ------------------------------------------------------------- statistics

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
/** Nearest-rank percentile p (0–100). */
export const percentile = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(1, Math.ceil((s.length * p) / 100)) - 1];
};

// ------------------------------------------------------------- formatting

/** Milliseconds in a readable unit. */
export function fmtMs(ms) {
  if (ms === undefined || ms === null || Number.isNaN(ms)) return "–";
  if (ms < 1) return `${(ms * 1000).toFixed(0)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}
export const fmtSize = (bytes) => (bytes >= MB && bytes % MB === 0 ? `${bytes / MB} MB` : `${Math.round(bytes / KB)} KB`);
export const fmtInt = (n) => Math.round(n).toLocaleString("en-US");
export const fmtMiB = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
export const mbps = (bytes, ms) => bytes / MB / (ms / 1000);

// ---------------------------------------------------------------- machine

export function machineLines() {
  const cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  const cpu = cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model ?? "?";
  let nproc = "?";
  try {
    nproc = execFileSync("nproc").toString().trim();
  } catch {}
  let os = "";
  try {
    os = readFileSync("/etc/os-release", "utf8").match(/^PRETTY_NAME="?([^"\n]*)/m)?.[1] ?? "";
  } catch {}
  return [
    `- CPU: ${cpu}; \`nproc\`: ${nproc}; RAM: ${(totalmem() / 1024 ** 3).toFixed(0)} GB; ${os}`,
    `- Node ${process.version}`,
    `- Load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(" ")} (the cores are shared with other work; treat differences under about 1.5× as noise)`,
  ];
}

export const today = () => new Date().toISOString().slice(0, 10);

/**
 * A fingerprint of a built package (its Wasm modules, glue, vocabularies
 * and entry files), to name the build a report measured.
 */
export function pkgFingerprint(pkgRoot = join(root, "pkg")) {
  const hash = createHash("sha256");
  const files = ["prompt_preflight_bg.wasm", "prompt_preflight.js", "o200k_base.bin", "cl100k_base.bin"].map((f) => join("dist", f));
  // The meter module (dist/meter/, since the package has two modules) and the entries.
  if (existsSync(join(pkgRoot, "dist/meter"))) {
    files.push("dist/meter/prompt_preflight_bg.wasm", "dist/meter/prompt_preflight_factory.js", "core.js", "browser.js", "tokenizer.js");
  }
  for (const f of files) hash.update(readFileSync(join(pkgRoot, f)));
  const size = (f) => (existsSync(join(pkgRoot, f)) ? readFileSync(join(pkgRoot, f)).length : null);
  return { id: hash.digest("hex").slice(0, 12), wasm: size("dist/prompt_preflight_bg.wasm"), meterWasm: size("dist/meter/prompt_preflight_bg.wasm") };
}

const sleepSync = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * Copies pkg/ (entries and dist/) to target/bench-tokenizers-js/pkg/<fingerprint>/
 * and returns `{ id, wasm, commit, dir }`: the benches measure that copy, so
 * a `make pkg` elsewhere during a run cannot mix two builds in one report.
 * Retries while pkg/dist is being rewritten.
 */
export function snapshotPkg() {
  const src = join(root, "pkg");
  for (let attempt = 0; attempt < 20; attempt++) {
    let before;
    try {
      before = pkgFingerprint(src);
    } catch {
      sleepSync(3000); // a file is missing mid-build
      continue;
    }
    const dir = join(root, "target", "bench-tokenizers-js", "pkg", before.id);
    if (!existsSync(join(dir, ".complete"))) {
      rmSync(dir, { recursive: true, force: true });
      // The whole package: entries, dist/ and dist/meter/, with the .br and .gz copies.
      cpSync(src, dir, { recursive: true });
      if (pkgFingerprint(dir).id !== before.id || pkgFingerprint(src).id !== before.id) {
        sleepSync(3000);
        continue;
      }
      writeFileSync(join(dir, ".complete"), "");
    }
    let commit = "?";
    try {
      commit = execFileSync("git", ["-C", root, "log", "-1", "--format=%h %cI"], { stdio: ["ignore", "pipe", "ignore"] })
        .toString()
        .trim();
    } catch {}
    return { ...before, commit, dir };
  }
  throw new Error("pkg/dist kept changing while it was being copied");
}

/** The header line describing the build measured. */
export const pkgLine = (snap) =>
  `- Package measured: a copy of \`pkg/\` taken at start (fingerprint ${snap.id}, sha-256 of the module, glue and ` +
  `vocabularies; \`prompt_preflight_bg.wasm\` ${fmtInt(snap.wasm)} B` +
  (snap.meterWasm ? `, meter module \`dist/meter/prompt_preflight_bg.wasm\` ${fmtInt(snap.meterWasm)} B` : "") +
  `); repository HEAD then: ${snap.commit}`;
