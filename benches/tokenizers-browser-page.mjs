// Runs inside the page served by benches/tokenizers-browser.mjs (as
// /bench/harness.mjs). Loads one tokenizer implementation as plain ES
// modules, without a bundler (an import map supplies the two bare or
// extension-less specifiers the packages use), and exposes what the bench
// times through `window.harness`.
//
// `page.html?impl=<name>&enc=<encoding>` starts loading at once and sets
// `window.startup` = { sinceNavigation, sinceImport, count, bytes } when the
// first count of "Hello, world!" is done (`performance.now()` counts from
// navigation start), or `window.startupError`. With `&input=<file>` the
// first count is of that generated input instead, fetched alongside the
// modules (and left out of `bytes`).

const loaders = {
  // Our package's browser entry: init() fetches prompt_preflight_bg.wasm,
  // loadTokenizer() fetches dist/<encoding>.bin (and keeps it in the Cache API).
  async ours(encoding) {
    const m = await import("/pkg/browser.js");
    await m.default();
    await m.loadTokenizer(encoding);
    return {
      count: (t) => m.countTokens(t, encoding).count,
      meter(contract, tier) {
        const pf = new m.Preflight(contract);
        return pf.meter(tier);
      },
    };
  },
  // npm tiktoken's "lite" build: its init() takes a callback that
  // instantiates the Wasm module; the ranks come from its encoders/*.json.
  async tiktoken(encoding) {
    const [{ init, Tiktoken }, ranks] = await Promise.all([
      import("/node_modules/tiktoken/lite/init.js"),
      fetch(`/node_modules/tiktoken/encoders/${encoding}.json`).then((r) => r.json()),
    ]);
    await init((imports) =>
      WebAssembly.instantiateStreaming(fetch("/node_modules/tiktoken/lite/tiktoken_bg.wasm"), imports),
    );
    const enc = new Tiktoken(ranks.bpe_ranks, ranks.special_tokens, ranks.pat_str);
    return { count: (t) => enc.encode_ordinary(t).length };
  },
  // js-tiktoken: the lite entry plus its ranks module (a 1–2.3 MB ES module).
  async "js-tiktoken"(encoding) {
    const [{ Tiktoken }, ranks] = await Promise.all([
      import("/node_modules/js-tiktoken/dist/lite.js"),
      import(`/node_modules/js-tiktoken/dist/ranks/${encoding}.js`),
    ]);
    const enc = new Tiktoken(ranks.default);
    return { count: (t) => enc.encode(t, [], []).length };
  },
  // gpt-tokenizer's ESM build, one module per encoding (ranks included).
  async "gpt-tokenizer"(encoding) {
    const api = await import(`/node_modules/gpt-tokenizer/esm/encoding/${encoding}.js`);
    const opts = { disallowedSpecial: new Set() };
    return {
      count: (t) => api.countTokens(t, opts),
      clearCache: () => api.clearMergeCache(),
      setCacheSize: (n) => api.setMergeCacheSize(n),
    };
  },
};

const texts = new Map();
let tk;

/** Median time of counting `text`: 1 run if it takes over `slowMs`, else up to `runs` runs (at most ~1.5 s). */
function timeCount(text, { runs = 5, slowMs = 500, clear = true } = {}) {
  const times = [];
  let n;
  const started = performance.now();
  do {
    if (clear) tk.clearCache?.();
    const t = performance.now();
    n = tk.count(text);
    times.push(performance.now() - t);
  } while (times[0] < slowMs && times.length < runs && (times.length < 3 || performance.now() - started < 1500));
  times.sort((a, b) => a - b);
  return { ms: times[Math.floor(times.length / 2)], runs: times.length, n };
}

window.harness = {
  /** Fetches a generated input once (its UTF-8 byte length too). */
  async text(name) {
    if (!texts.has(name)) {
      const bytes = new Uint8Array(await (await fetch(`/bench/input/${name}`)).arrayBuffer());
      texts.set(name, { text: new TextDecoder().decode(bytes), bytes: bytes.length });
    }
    return texts.get(name).bytes;
  },
  /** Counts a fetched input once: { ms, n }. */
  once(name, clear = true) {
    const { text } = texts.get(name);
    if (clear) tk.clearCache?.();
    const t = performance.now();
    const n = tk.count(text);
    return { ms: performance.now() - t, n };
  },
  /** gpt-tokenizer only: counts a fetched input once with its merge cache off. */
  onceNoCache(name) {
    tk.setCacheSize(0);
    try {
      return window.harness.once(name);
    } finally {
      tk.setCacheSize(100_000);
    }
  },
  /** Times counting a fetched input (see timeCount). */
  time(name, options) {
    return timeCount(texts.get(name).text, options);
  },
  /** A full recount of input `name`, as after a keystroke (warm caches): median of `runs` (1 when over 1.5 s). */
  recount(name, runs) {
    return timeCount(texts.get(name).text, { runs, slowMs: 1500, clear: false });
  },
  /**
   * Ours only: a meter on input `name`,
   * `edits` single-character inserts at seeded random positions, then as
   * many deletes. Returns the timings and whether the final count matches
   * countTokens of the same text.
   */
  keystrokes(name, contract, tier, edits, seed) {
    let doc = texts.get(name).text;
    const meter = tk.meter(contract, tier);
    const inputOf = (r) => (r.tokens ? r.tokens.input : r.input);
    let t = performance.now();
    let last = meter.setText(doc);
    const setText = performance.now() - t;
    const okStart = inputOf(last) === tk.count(doc);
    // Mulberry32: a small seeded generator (positions only need to be reproducible).
    let s = seed >>> 0;
    const rand = () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 15), z | 1);
      z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
      return ((z ^ (z >>> 14)) >>> 0) / 4294967296;
    };
    const safe = (at) => (at > 0 && at < doc.length && /[\uDC00-\uDFFF]/.test(doc[at]) ? at - 1 : at);
    const alphabet = "etaoin shrdlu,.";
    const inserts = [];
    const deletes = [];
    for (let i = 0; i < edits; i++) {
      const at = safe(Math.floor(rand() * (doc.length + 1)));
      const ch = alphabet[Math.floor(rand() * alphabet.length)];
      t = performance.now();
      last = meter.edit(at, at, ch);
      inserts.push(performance.now() - t);
      doc = doc.slice(0, at) + ch + doc.slice(at);
    }
    const okInserts = inputOf(last) === tk.count(doc);
    for (let i = 0; i < edits; i++) {
      const at = safe(Math.floor(rand() * doc.length));
      const end = /[\uD800-\uDBFF]/.test(doc[at]) ? at + 2 : at + 1;
      t = performance.now();
      last = meter.edit(at, end, "");
      deletes.push(performance.now() - t);
      doc = doc.slice(0, at) + doc.slice(end);
    }
    const okDeletes = inputOf(last) === tk.count(doc);
    meter.free();
    return { setText, inserts, deletes, ok: okStart && okInserts && okDeletes, count: inputOf(last) };
  },
};

const params = new URLSearchParams(location.search);
if (params.has("impl")) {
  const impl = params.get("impl");
  const encoding = params.get("enc") ?? "o200k_base";
  const input = params.get("input");
  const start = performance.now();
  const text = input ? fetch(`/bench/input/${input}`).then((r) => r.text()) : "Hello, world!";
  Promise.all([loaders[impl](encoding), text])
    .then(([loaded, text]) => {
      tk = loaded;
      const count = tk.count(text);
      const end = performance.now();
      const resources = performance.getEntriesByType("resource").filter((e) => !e.name.includes("/bench/page.html"));
      const bytes = resources
        .filter((e) => !e.name.includes("/bench/harness") && !e.name.includes("/bench/input/"))
        .reduce((sum, e) => sum + (e.encodedBodySize || 0), 0);
      window.startup = {
        sinceNavigation: end,
        sinceImport: end - start,
        count,
        bytes,
        urls: resources.map((e) => new URL(e.name).pathname),
        isolated: crossOriginIsolated,
      };
    })
    .catch((e) => {
      window.startupError = `${e?.name ?? "Error"}: ${e?.message ?? e}`;
    });
}
