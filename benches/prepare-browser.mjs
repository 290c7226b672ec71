// `prepare` in Debian's Chromium (headless): the Wasm build on the page's
// main thread, the same generated documents as benches/prepare.rs (prose
// pages with a header and a footer each) at 100 KB and 1 MB, in each mode,
// with the summarise-document contract on a tier of 8,000 tokens. Also the
// same call in Node, for comparison. Median of 5 runs (after one warm-up).
// Run with `make bench-prepare` (builds first). Figures go in BENCHMARKS.md.
import { launchChromium, startServer } from "../tests/js/support.mjs";
import { Preflight } from "../pkg/node.js";

const RUNS = 5;
const QUESTION = "overdue invoices from the harbour supplier in Iceland";
const WORDS = ["renewal", "forecast", "invoice", "board", "survey", "customer", "harbour", "quarterly",
  "email", "draft", "analyst", "supplier", "meeting", "budget", "office", "contract"];

/** Pages of seeded sentences, each with a header and a "Page n" footer. */
function pages(bytes) {
  let seed = 0x2545f4914f6cdd1dn;
  const mask = (1n << 64n) - 1n;
  const next = () => {
    seed ^= (seed << 13n) & mask;
    seed ^= seed >> 7n;
    seed ^= (seed << 17n) & mask;
    return Number(seed % 16n);
  };
  const out = [];
  let length = 0;
  for (let page = 1; length < bytes; page++) {
    const lines = ["ACME Ltd — Annual Report 2026"];
    for (let p = 0; p < 6; p++) {
      const sentences = [];
      for (let s = 0; s < 5; s++) sentences.push(Array.from({ length: 12 }, () => WORDS[next()]).join(" ") + ".");
      lines.push(sentences.join(" "));
    }
    lines.push(`Page ${page}`);
    const text = lines.join("\n") + "\n\n";
    out.push(text);
    length += text.length;
  }
  return out.join("");
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const contractFor = (source) => {
  const contract = JSON.parse(source);
  contract.tiers.free.max_input_tokens = 8000;
  return JSON.stringify(contract);
};

const server = await startServer();
const browser = await launchChromium();
try {
  const source = await (await fetch(`${server.url}/v1/contracts/summarise-document`)).text();
  const contract = contractFor(source);
  const page = await browser.context.newPage();
  await page.goto(`${server.url}/healthz`);
  const inputs = [100 * 1024, 1024 * 1024].map((bytes) => ({ bytes, text: pages(bytes) }));
  const node = new Preflight(contract);
  console.log("| input | mode | Chromium | Node | parts | tokens before → after | plan |");
  console.log("|---|---|---:|---:|---:|---|---|");
  for (const { bytes, text } of inputs) {
    for (const mode of ["trim", "relevant", "split"]) {
      const options = { mode, question: QUESTION };
      const inPage = await page.evaluate(async ({ contract, text, options, runs }) => {
        const m = await import("/pkg/browser.js");
        await m.default();
        await m.loadFull();
        const pf = new m.Preflight(contract);
        await m.loadTokenizer(pf.encoding);
        pf.prepareText("free", text, options); // warm-up
        const times = [];
        let prepared;
        for (let i = 0; i < runs; i++) {
          const t0 = performance.now();
          prepared = pf.prepareText("free", text, options);
          times.push(performance.now() - t0);
        }
        return { times, parts: prepared.parts.length, before: prepared.manifest.tokens_before,
          after: prepared.manifest.tokens_after, plan: prepared.plan.kind };
      }, { contract, text, options, runs: RUNS });
      node.prepareText("free", text, options);
      const nodeTimes = [];
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        node.prepareText("free", text, options);
        nodeTimes.push(performance.now() - t0);
      }
      const size = bytes >= 1024 * 1024 ? "1 MB" : "100 KB";
      console.log(`| prose pages, ${size} | ${mode} | ${median(inPage.times).toFixed(1)} ms | ${median(nodeTimes).toFixed(1)} ms | ${inPage.parts} | ${inPage.before.toLocaleString("en")} → ${inPage.after.toLocaleString("en")} | ${inPage.plan} |`);
    }
  }
} finally {
  await browser.close();
  await server.stop();
}
