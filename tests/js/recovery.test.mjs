// A file reader that crashes never takes the package down. The fixtures
// that crash calamine 0.38 are refused by the core's pre-scan; with the
// pre-scans turned off (a test switch) they reach calamine, which panics,
// and the Wasm build traps. The package then replaces the instance that
// reads files and checks the file again in a fresh one: the report is
// `corrupt_file`, equal to the native CLI's (whose guard catches the same
// panic), and the meter, typed text and the next good file carry on.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Preflight, __setPrescans, readerRestarts } from "../../pkg/node.js";
import { fixturesDir, root } from "./support.mjs";

const CONTRACT = join(root, "contracts", "customer-list", "1.0.0.toml");
const CRASHERS = [
  "sheet_xlsb_cells_empty_index.xlsb",
  "sheet_xlsb_workbook_record_overrun.xlsb",
  "sheet_xlsb_sheet_link_overrun.xlsb",
];
const pf = new Preflight(readFileSync(CONTRACT, "utf8"));
const bytesOf = (name) => new Uint8Array(readFileSync(join(fixturesDir, name)));
const plain = (value) => JSON.parse(JSON.stringify(value));

/** The native report, from the CLI (with the same switch when asked). */
function native(name, flags = [], status = 1) {
  const out = spawnSync(
    join(root, "target", "debug", "preflight"),
    ["check", join(fixturesDir, name), "--contract", CONTRACT, "--tier", "free", "--json", ...flags],
    { encoding: "utf8" },
  );
  assert.equal(out.status, status, out.stderr);
  return JSON.parse(out.stdout);
}

after(() => __setPrescans(true));

test("with the pre-scans on, nothing traps: the crashers are corrupt_file", () => {
  const before = readerRestarts();
  for (const name of CRASHERS) {
    const report = plain(pf.checkFile("free", name, bytesOf(name)));
    assert.deepStrictEqual(report.issues.map((i) => i.code), ["corrupt_file"], name);
    assert.deepStrictEqual(report, native(name), name);
  }
  assert.equal(readerRestarts(), before);
});

test("a reader's trap: a fresh instance, the native guard's report, and everything else carries on", () => {
  const meter = pf.meter("free");
  const typed = meter.setText("Our customers in Lisbon renewed early.").tokens.input;
  __setPrescans(false);
  for (const name of CRASHERS) {
    const before = readerRestarts();
    const report = plain(pf.checkFile("free", name, bytesOf(name)));
    assert.equal(readerRestarts(), before + 1, `${name}: the readers instance was replaced`);
    assert.deepStrictEqual(report.issues.map((i) => i.code), ["corrupt_file"], name);
    assert.match(report.issues[0].message, /cannot be read/);
    assert.deepStrictEqual(report, native(name, ["--no-prescans"]), name);

    // Typing is still counted, by the untouched main instance.
    const longer = meter.edit(0, 0, "Renewals grew. ").tokens.input;
    assert.ok(longer > typed, `${longer} > ${typed}`);
    // A good file is checked correctly in the fresh instance.
    const good = plain(pf.checkFile("free", "customers_ok.csv", bytesOf("customers_ok.csv")));
    assert.equal(good.ok, true);
    assert.deepStrictEqual(good, native("customers_ok.csv", [], 0));
  }
  // prepareFile recovers the same way.
  const before = readerRestarts();
  const prepared = plain(pf.prepareFile("free", CRASHERS[0], bytesOf(CRASHERS[0])));
  assert.equal(readerRestarts(), before + 1);
  assert.equal(prepared.ok, false);
  assert.deepStrictEqual(prepared.issues.map((i) => i.code), ["corrupt_file"]);
  // Other contracts made before the trap read files in the new instance too.
  const other = new Preflight(readFileSync(CONTRACT, "utf8"));
  assert.equal(plain(other.checkFile("paid", "customers_ok.csv", bytesOf("customers_ok.csv"))).ok, true);
});
