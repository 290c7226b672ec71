// Before the vocabulary arrives, the meter estimates (labelled, never
// exact) and typing goes on; the first edit after it is installed counts
// exactly. Run in a fresh process: the package's Node entry installs the
// vocabularies on import, so this uses the runtime (core.js) directly.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { readFileSync } from "node:fs";
import { Preflight as FullPreflight } from "../../pkg/node.js";

const file = (path) => JSON.stringify(fileURLToPath(new URL(path, import.meta.url)));
// The meter module reads contracts in JSON (as the server serves them).
const customerList = new FullPreflight(readFileSync(new URL("../../contracts/customer-list/1.0.0.toml", import.meta.url), "utf8")).contract;
const script = `
import { readFileSync } from "node:fs";
import { initSync, installTokenizer, Preflight, countTokens } from ${JSON.stringify(new URL("../../pkg/core.js", import.meta.url).href)};
initSync({ module: readFileSync(${file("../../pkg/dist/meter/prompt_preflight_bg.wasm")}) });
const pf = new Preflight(${JSON.stringify(JSON.stringify(customerList))});
const meter = pf.meter("free");
const text = "Which customers in Lisbon renewed early this spring, and why did they?";
const before = meter.setText(text);
const typed = meter.edit(text.length, text.length, " Et à Porto ?");
installTokenizer(readFileSync(${file("../../pkg/dist/o200k_base.bin")}));
const after = meter.edit(0, 0, "");
console.log(JSON.stringify({ before, typed, after, exact: countTokens(meter.text, "o200k_base").count, text: meter.text }));
`;

test("the meter estimates until the vocabulary arrives, then counts exactly", () => {
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  const { before, typed, after, exact, text } = JSON.parse(run.stdout);
  assert.equal(text, "Which customers in Lisbon renewed early this spring, and why did they? Et à Porto ?");
  // Labelled as an estimate, and close to the truth.
  assert.equal(before.tokens.exact, false);
  const note = before.issues.find((i) => i.code === "token_count_estimated");
  assert.match(note.message, /still loading/);
  assert.ok(typed.tokens.input > before.tokens.input, "typing goes on while it loads");
  assert.ok(typed.tokens.input > exact / 2 && typed.tokens.input < exact * 2, `${typed.tokens.input} about ${exact}`);
  // Then exact, with no estimate note.
  assert.equal(after.tokens.exact, true);
  assert.equal(after.tokens.input, exact);
  assert.ok(!after.issues.some((i) => i.code === "token_count_estimated"));
});

const languages = `
import { readFileSync } from "node:fs";
import { initSync, Preflight } from ${JSON.stringify(new URL("../../pkg/core.js", import.meta.url).href)};
initSync({ module: readFileSync(${file("../../pkg/dist/meter/prompt_preflight_bg.wasm")}) });
const source = ${JSON.stringify(JSON.stringify(customerList))};
const limited = JSON.stringify({ ...JSON.parse(source), input: { ...JSON.parse(source).input, languages: ["eng"] } });
const open = new Preflight(source);
const only = new Preflight(limited);
let toml = null;
try { new Preflight(readFileSync(${file("../../contracts/customer-list/1.0.0.toml")}, "utf8")); } catch (e) { toml = e.code; }
let code = null;
try { only.checkText("free", "Bonjour à tous."); } catch (e) { code = e.code; }
console.log(JSON.stringify({ open: open.checkTextNeedsFull, only: only.checkTextNeedsFull, openOk: open.checkText("free", "Hello there.").ok, code, toml }));
`;

test("the meter module says when a contract's text check needs the full module", () => {
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", languages], { encoding: "utf8" });
  assert.equal(run.status, 0, run.stderr);
  // Without language detection it checks text for contracts that accept any
  // language, and refuses (with a code) to guess for those that do not.
  // A TOML contract needs the full module too: the meter module reads JSON.
  assert.deepStrictEqual(JSON.parse(run.stdout), {
    open: false, only: true, openOk: true, code: "full_module_not_loaded", toml: "full_module_not_loaded",
  });
});
