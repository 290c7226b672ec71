// The npm package's public API under Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Preflight, catalogue, countTokens } from "../../pkg/node.js";

const contractSource = readFileSync(new URL("../../contracts/customer-list.toml", import.meta.url), "utf8");

test("countTokens counts exactly for both encodings", () => {
  assert.deepStrictEqual(countTokens("Hello, world!", "o200k_base"), { count: 4, exact: true });
  assert.deepStrictEqual(countTokens("Hello, world!", "cl100k_base"), { count: 4, exact: true });
  assert.deepStrictEqual(countTokens("", "o200k_base"), { count: 0, exact: true });
});

test("an unknown encoding throws with a code", () => {
  assert.throws(() => countTokens("x", "p50k_base"), (e) => e.code === "unknown_encoding");
});

test("an invalid contract throws naming the field", () => {
  const broken = contractSource.replace("max_input_tokens = 2000", "max_input_tokens = 0");
  assert.throws(
    () => new Preflight(broken),
    (e) => e.code === "invalid_contract" && e.field === "tiers.free.max_input_tokens" && /greater than 0/.test(e.message),
  );
});

test("the contract round-trips as a plain object", () => {
  const pf = new Preflight(contractSource);
  assert.equal(pf.contract.id, "customer-list");
  assert.equal(pf.contract.tiers.free.max_input_tokens, 2000);
  assert.equal(pf.contract.tiers.paid.max_input_tokens, 8000);
  const again = new Preflight(JSON.stringify(pf.contract));
  assert.deepStrictEqual(again.contract, pf.contract);
});

test("checkText uses the default tier when none is given", () => {
  const pf = new Preflight(contractSource);
  const report = pf.checkText(undefined, "Customers from Lisbon buy more in spring.");
  assert.equal(report.tokens.tier, "free");
  assert.equal(report.ok, true);
  assert.equal(report.input.kind, "text");
});

test("the catalogue lists every required code with words for people", () => {
  const codes = catalogue().map((e) => e.code);
  for (const code of ["empty_input", "over_token_limit", "near_token_limit", "missing_column", "unexpected_column", "ragged_row", "unsupported_format"]) {
    assert.ok(codes.includes(code), `${code} is missing from the catalogue`);
  }
  for (const entry of catalogue()) {
    assert.match(entry.title, /\.$/);
    assert.ok(entry.hint.length > 10);
    assert.ok(["error", "warning", "info"].includes(entry.severity));
  }
});
