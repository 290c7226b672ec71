// Ingest throughput of the Wasm build in Chromium (headless, Debian's) on
// the files benches/make_data.py writes, and the Wasm memory it needed.
// One fresh page per file; files are served to the page by playwright's
// request routing, so nothing but the check is timed.
// Run: python3 benches/make_data.py && make pkg build && node benches/ingest-browser.mjs
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { launchChromium, root, startServer } from "../tests/js/support.mjs";

const FILES = ["customers-1mb.csv", "customers-20mb.csv", "customers-100k.csv", "customers-10k.xlsx", "customers-100k.xlsx"];
const RUNS = 3;
const dataDir = join(root, "target", "bench-data");
const contract = readFileSync(join(root, "contracts", "customer-list", "1.0.0.toml"), "utf8");

const server = await startServer();
const browser = await launchChromium();
try {
  for (const file of FILES) {
    const path = join(dataDir, file);
    if (!existsSync(path)) {
      console.error(`missing ${file}: run python3 benches/make_data.py`);
      continue;
    }
    const page = await browser.context.newPage();
    await page.route("**/bench-data/*", (route) => route.fulfill({ body: readFileSync(path) }));
    await page.goto(`${server.url}/healthz`);
    const result = await page.evaluate(
      async ({ file, contract, runs }) => {
        const glue = await import("/pkg/dist/prompt_preflight.js");
        const exports = await glue.default();
        const pf = new glue.Preflight(contract);
        const bytes = new Uint8Array(await (await fetch(`/bench-data/${file}`)).arrayBuffer());
        const times = [];
        let report;
        for (let i = 0; i < runs; i++) {
          const start = performance.now();
          report = pf.checkFile("paid", file, bytes);
          times.push(performance.now() - start);
        }
        times.sort((a, b) => a - b);
        return {
          ms: times[Math.floor(runs / 2)],
          rows: report.input.rows ?? 0,
          bytes: bytes.length,
          wasmMiB: exports.memory.buffer.byteLength / 1048576,
        };
      },
      { file, contract, runs: RUNS },
    );
    const mb = result.bytes / 1e6;
    console.log(
      `${file}\t${mb.toFixed(1)} MB\t${result.rows} rows\tcheck ${result.ms.toFixed(0)} ms = ${(mb / (result.ms / 1000)).toFixed(1)} MB/s, ` +
        `${Math.round(result.rows / (result.ms / 1000))} rows/s\twasm memory ${result.wasmMiB.toFixed(0)} MiB`,
    );
    await page.close();
  }
} finally {
  await browser.close();
  await server.stop();
}
