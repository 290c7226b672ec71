// Payload parity: for every fixture, contract and mode, the payload the
// Wasm build prepares equals, as JSON, the one the native server prepares
// over real HTTP; and the server, preparing the browser's upload again
// (its final check), gets the same parts.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Preflight } from "../../pkg/node.js";
import { fixtures, startServer } from "./support.mjs";

// customer-list 2.0.0 (the default) needs a country column, which most
// fixtures have; 1.x does not, so both are covered.
const CONTRACTS = ["customer-list", "customer-list@1", "summarise-document"];
const MODES = [{ mode: "trim" }, { mode: "relevant" }, { mode: "split" }, { mode: "split", overlap: 64 }];
const QUESTION = "Which customers signed up for the renewal forecast?";
let server;
const preflights = new Map();

before(async () => {
  server = await startServer();
  for (const id of CONTRACTS) {
    const contract = await (await fetch(`${server.url}/v1/contracts/${id}`)).json();
    preflights.set(id, new Preflight(JSON.stringify(contract)));
  }
});
after(() => server?.stop());

const plain = (value) => JSON.parse(JSON.stringify(value));
const payload = (prepared) => prepared.parts.map((p) => [p.content, p.tokens]);

async function serverPrepare(contract, { name, bytes, text }, { mode, overlap }) {
  const form = new FormData();
  form.append("contract", contract);
  form.append("tier", "free");
  if (name !== null && name !== undefined) form.append("file", new Blob([bytes ?? new TextEncoder().encode(text)]), name);
  else form.append("text", text);
  form.append("mode", mode);
  form.append("question", QUESTION);
  if (overlap) form.append("overlap", String(overlap));
  const response = await fetch(`${server.url}/v1/prepare`, { method: "POST", body: form });
  const body = await response.json();
  assert.equal(response.status, body.ok ? 200 : 422, "422 exactly when the plan cannot run");
  return body;
}

/** Long inputs, so that trimming, relevance and splitting all act. */
function generated() {
  const words = ["renewal", "forecast", "invoice", "board", "survey", "customer", "harbour", "quarterly", "email", "draft"];
  const paragraphs = [];
  for (let p = 0; p < 220; p++) {
    const sentence = (s) => `The ${words[(p + s) % 10]} team ${words[(p * 3 + s) % 10]}ed the ${words[(p * 7 + s) % 10]} on day ${p * 5 + s}.`;
    paragraphs.push([0, 1, 2, 3].map(sentence).join(" "));
  }
  const prose = paragraphs.join("\n\n");
  let csv = "name,email,signup_date,internal notes\n";
  for (let i = 0; i < 400; i++) {
    csv += `Customer ${i},c${i}@example.com,2024-01-${String((i % 28) + 1).padStart(2, "0")},note ${i} about the renewal forecast\n`;
    if (i % 3 === 0) csv += `Customer ${i},c${i}@example.com,2024-01-${String((i % 28) + 1).padStart(2, "0")},another note\n`;
  }
  const enc = new TextEncoder();
  return [
    { name: "generated_prose.txt", bytes: enc.encode(prose) },
    { name: "generated_customers.csv", bytes: enc.encode(csv) },
  ];
}

const inputs = [...fixtures(), ...generated()];

for (const contract of CONTRACTS) {
  for (const options of MODES) {
    const label = options.overlap ? `${options.mode} with overlap ${options.overlap}` : options.mode;
    test(`${contract}, ${label}: every input prepares the same in Wasm and on the server`, async () => {
      const pf = preflights.get(contract);
      let compared = 0;
      let uploaded = 0;
      for (const { name, bytes } of inputs) {
        let wasm;
        try {
          wasm = plain(pf.prepareFile("free", name, bytes, { ...options, question: QUESTION }));
        } catch (error) {
          assert.fail(`${name}: ${error.message}`);
        }
        const native = await serverPrepare(contract, { name, bytes }, options);
        assert.deepStrictEqual(wasm, native, `${name}: the payloads differ`);
        compared++;
        if (!wasm.ok) continue;
        const again = await serverPrepare(contract, wasm.upload, options);
        assert.deepStrictEqual(payload(again), payload(wasm), `${name}: the server's re-check differs`);
        assert.equal(again.plan.kind, wasm.plan.kind);
        uploaded++;
      }
      assert.equal(compared, inputs.length);
      assert.ok(uploaded >= 5, `only ${uploaded} inputs could run`);
    });
  }
}

test("the generated inputs exercise every kind of change", () => {
  const kinds = new Set();
  for (const contract of CONTRACTS) {
    for (const options of MODES) {
      for (const { name, bytes } of generated()) {
        const p = preflights.get(contract).prepareFile("free", name, bytes, { ...options, question: QUESTION });
        for (const step of p.manifest.steps) kinds.add(step.kind);
      }
    }
  }
  for (const kind of ["columns_removed", "duplicate_rows_removed", "sections_omitted", "split"]) {
    assert.ok(kinds.has(kind), `no ${kind} step`);
  }
});
