// What a reader's crash costs in the Wasm build (Node): checking a workbook
// that crashes calamine, refused by the pre-scan (no trap), against the same
// file with the pre-scans off (a trap, a fresh instance with both
// vocabularies installed, and the replay). Median of 21 runs each.
//
//   node benches/recovery.mjs      (after `make pkg build`)
import { readFileSync } from "node:fs";
import { Preflight, __setPrescans, readerRestarts } from "../pkg/node.js";

const root = new URL("..", import.meta.url);
const pf = new Preflight(readFileSync(new URL("contracts/customer-list/1.0.0.toml", root), "utf8"));
const bytes = (name) => new Uint8Array(readFileSync(new URL(`tests/fixtures/${name}`, root)));

function median(run) {
  const times = [];
  for (let i = 0; i < 21; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  return times.sort((a, b) => a - b)[10];
}

console.log("| file | pre-scan refuses it | trap, fresh instance, replay |");
console.log("|---|---:|---:|");
for (const name of ["sheet_xlsb_cells_empty_index.xlsb", "sheet_xlsb_sheet_link_overrun.xlsb"]) {
  const data = bytes(name);
  const scanned = median(() => pf.checkFile("free", name, data));
  __setPrescans(false);
  const before = readerRestarts();
  const recovered = median(() => pf.checkFile("free", name, data));
  if (readerRestarts() - before !== 21) throw new Error("expected a trap on every run");
  __setPrescans(true);
  console.log(`| ${name} | ${scanned.toFixed(2)} ms | ${recovered.toFixed(2)} ms |`);
}
