// The live meter's cost at 1 MB under Node, over the limit: one keystroke
// (`edit`, which never trims a text over SETTLE_BYTES) and `settle` (trims
// the whole text once, to make the offers exact; the web app's worker
// calls it when typing pauses for 250 ms).
// `node benches/live-settle.mjs` once `make pkg` has built pkg/dist.
import { readFileSync } from "node:fs";
import { Preflight } from "../pkg/node.js";

const contract = readFileSync(new URL("../contracts/customer-list/1.0.0.toml", import.meta.url), "utf8");
const pf = new Preflight(contract);
const PARAGRAPH =
  "Our customers in Lisbon renewed early this spring, and most sign-ups came from the newsletter in March. " +
  "Support tickets fell by a third after the new onboarding guide; enterprise accounts asked for single sign-on. ";
const TEXTS = [
  ["one line of prose (nothing to trim)", PARAGRAPH],
  ["paragraphs (trailing spaces to trim)", PARAGRAPH + "\n\n"],
  ["extra blank lines and spaces", PARAGRAPH + "  \n\n\n"],
];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)];

console.log("| 1 MB text, over the limit | keystroke median | keystroke p95 | settle median | offers once settled |");
console.log("|---|---|---|---|---|");
for (const [name, unit] of TEXTS) {
  const text = unit.repeat(Math.ceil(1_000_000 / unit.length)).slice(0, 1_000_000);
  const meter = pf.meter("free");
  meter.setText(text);
  const keys = [];
  for (let i = 0; i < 200; i++) {
    const at = Math.floor(text.length / 2) + i;
    const begin = performance.now();
    const reading = meter.edit(at, at, "a");
    keys.push(performance.now() - begin);
    if (reading.settled) throw new Error("a 1 MB text must not be trimmed at every keystroke");
  }
  const settles = [];
  let offers = "";
  for (let i = 0; i < 7; i++) {
    meter.edit(i, i, "a");
    const begin = performance.now();
    const reading = meter.settle();
    settles.push(performance.now() - begin);
    offers = reading.issues.find((x) => x.code === "over_token_limit").actions.map((a) => a.kind).join(", ");
  }
  const ms = (x) => `${x.toFixed(3)} ms`;
  console.log(`| ${name} | ${ms(median(keys))} | ${ms(p95(keys))} | ${median(settles).toFixed(1)} ms | ${offers} |`);
  meter.free();
}
