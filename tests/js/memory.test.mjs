// Nothing needs a manual free(): objects dropped by JavaScript are released
// by the glue's FinalizationRegistry. 10,000 contracts and meters (and 200
// file checks) are made and dropped, in rounds. A round is synchronous, so
// its objects are all alive until it ends and the memory grows to hold
// them; the allocator settles in the first two rounds. After that a leak
// would grow the memory every round (Wasm memory never shrinks), as would
// objects the finalizers never release.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const script = `
import { readFileSync } from "node:fs";
import { Preflight, __memoryBytes } from ${JSON.stringify(new URL("../../pkg/node.js", import.meta.url).href)};
const contract = readFileSync(${JSON.stringify(fileURLToPath(new URL("../../contracts/customer-list/1.0.0.toml", import.meta.url)))}, "utf8");
const csv = new TextEncoder().encode("name,email\\nAda Lovelace,ada@example.com\\n");
const settle = async () => {
  for (let i = 0; i < 6; i++) {
    globalThis.gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};
const rounds = [];
for (let round = 0; round < 5; round++) {
  for (let i = 0; i < 10_000; i++) {
    const pf = new Preflight(contract);
    const meter = pf.meter("free");
    meter.setText("Customers from Lisbon renewed early this spring. " + i);
    if (i % 50 === 0) pf.checkFile("free", "customers.csv", csv);
  }
  await settle();
  rounds.push(__memoryBytes());
}
console.log(JSON.stringify(rounds));
`;

test("10,000 dropped contracts and meters do not grow the Wasm memory", () => {
  const run = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const rounds = JSON.parse(run.stdout.trim().split("\n").pop());
  assert.equal(rounds.length, 5);
  // Rounds 3 to 5 add nothing to what the first two reached.
  assert.deepStrictEqual(rounds[4], rounds[1], JSON.stringify(rounds));
  assert.deepStrictEqual(rounds[3], rounds[1], JSON.stringify(rounds));
  assert.ok(rounds[0].full > 0, "the file checks ran in the full instance");
});
