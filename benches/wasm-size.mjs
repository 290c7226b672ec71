// Size of the npm package's Wasm module and JS glue: raw, gzip -9, brotli -11.
// Run `make pkg` first (or `make bench`).
import { readFileSync } from "node:fs";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const files = ["pkg/dist/prompt_preflight_bg.wasm", "pkg/dist/prompt_preflight.js"];
const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
console.log("| file | raw | gzip -9 | brotli -11 |\n|---|---|---|---|");
for (const file of files) {
  const bytes = readFileSync(file);
  const gzip = gzipSync(bytes, { level: 9 }).length;
  const brotli = brotliCompressSync(bytes, {
    params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
  }).length;
  console.log(`| ${file} | ${kib(bytes.length)} (${bytes.length} B) | ${kib(gzip)} | ${kib(brotli)} |`);
}
