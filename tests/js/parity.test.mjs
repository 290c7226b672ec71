// Parity: for every fixture and tier, the report the Wasm build produces
// equals, as JSON, the report the native server returns over real HTTP.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Preflight } from "../../pkg/node.js";
import { fixtures, startServer } from "./support.mjs";

const CONTRACT = "customer-list";
const TIERS = ["free", "paid"];
let server;
let pf;

before(async () => {
  server = await startServer();
  const contract = await (await fetch(`${server.url}/v1/contracts/${CONTRACT}`)).json();
  pf = new Preflight(JSON.stringify(contract));
});
after(() => server?.stop());

const all = fixtures();
const plain = (value) => JSON.parse(JSON.stringify(value));

test("there are fixtures to compare", () => {
  assert.ok(all.length >= 10, `only ${all.length} fixtures found`);
});

for (const { name, bytes } of all) {
  for (const tier of TIERS) {
    test(`file ${name} (${tier}): wasm report equals server report`, async () => {
      const wasm = plain(pf.checkFile(tier, name, bytes));
      const form = new FormData();
      form.append("contract", CONTRACT);
      form.append("tier", tier);
      form.append("file", new Blob([bytes]), name);
      const response = await fetch(`${server.url}/v1/check`, { method: "POST", body: form });
      assert.equal(response.status, 200);
      const body = await response.json();
      assert.deepStrictEqual(wasm, body.report);
      assert.equal(body.report.tokens.tier, tier);
      assert.equal(body.payload === null, !body.report.ok, "a payload comes back exactly when the input is accepted");
    });
  }
  if (name.endsWith(".txt") || name.endsWith(".csv")) {
    test(`text ${name}: wasm report equals server report`, async () => {
      const text = new TextDecoder().decode(bytes);
      const wasm = plain(pf.checkText("free", text));
      const response = await fetch(`${server.url}/v1/check`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ contract: CONTRACT, tier: "free", text }),
      });
      assert.equal(response.status, 200);
      assert.deepStrictEqual(wasm, (await response.json()).report);
    });
  }
}
