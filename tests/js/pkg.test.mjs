// The npm package's public API under Node.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Preflight, catalogue, countTokens, installTokenizer, tokenizerReady, withinTokenLimit } from "../../pkg/node.js";

const contractSource = readFileSync(new URL("../../contracts/customer-list/1.0.0.toml", import.meta.url), "utf8");

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

test("the meter follows edits and agrees with a full check", () => {
  const pf = new Preflight(contractSource);
  assert.equal(pf.encoding, "o200k_base");
  const meter = pf.meter("free");
  let text = "Customers from Lisbon buy more in spring.";
  let reading = meter.setText(text);
  assert.deepStrictEqual(reading.tokens, pf.checkText("free", text).tokens);
  // Typing, deleting across a surrogate pair, pasting a block: UTF-16 offsets.
  const edits = [
    [text.length, text.length, " Also 👋🏽 Porto."],
    [5, 5, "é"],
    [0, 9, ""],
    [10, 10, "\n\n".concat("Renewals rose. ".repeat(700))],
  ];
  for (const [start, end, insert] of edits) {
    text = text.slice(0, start) + insert + text.slice(end);
    reading = meter.edit(start, end, insert);
    assert.equal(meter.text, text);
    assert.equal(meter.length, text.length);
    const full = pf.checkText("free", text);
    assert.deepStrictEqual(reading.tokens, full.tokens);
    const sizeCodes = new Set(["over_token_limit", "near_token_limit", "context_window_exceeded", "token_count_estimated"]);
    assert.deepStrictEqual(reading.issues, full.issues.filter((i) => sizeCodes.has(i.code)));
  }
  assert.equal(reading.tokens.state, "over");
  const over = reading.issues.find((i) => i.code === "over_token_limit");
  // customer-list needs its input in one request: no split is offered; and
  // trimming this clean text would remove nothing, so Trim is not offered.
  assert.deepStrictEqual(over.actions.map((a) => a.kind), ["keep_relevant", "upgrade"]);
  // Extra white space is something trimming removes: now Trim is offered,
  // by the meter and the full check alike.
  const messy = text + "\n\n\n\nRenewals   rose.";
  reading = meter.setText(messy);
  const full = pf.checkText("free", messy);
  assert.deepStrictEqual(reading.issues, full.issues.filter((i) => i.code === "over_token_limit"));
  assert.deepStrictEqual(
    reading.issues.find((i) => i.code === "over_token_limit").actions.map((a) => a.kind),
    ["trim", "keep_relevant", "upgrade"],
  );
  meter.free();
});

test("the tokens section has the request's size, limits and cost", () => {
  const pf = new Preflight(contractSource);
  const { tokens } = pf.checkText("paid", "Which customers are most likely to upgrade?");
  assert.equal(tokens.model, "gpt-4o-mini");
  assert.equal(tokens.total, tokens.input + tokens.overhead + tokens.output_reserved);
  assert.equal(tokens.output_reserved, 1000);
  assert.equal(tokens.context_window, 128000);
  assert.equal(tokens.remaining, 8000 - tokens.input);
  assert.ok(tokens.overhead > 20, "system prompt, template and chat framing");
  assert.equal(tokens.cost.currency, "USD");
  assert.match(tokens.cost.prices_as_of, /^\d{4}-\d{2}-\d{2}$/);
  assert.ok(Math.abs(tokens.cost.total_usd_max - (tokens.cost.input_usd + tokens.cost.output_usd_max)) < 1e-9);
});

test("a model without a public tokenizer is estimated, never called exact", () => {
  const claude = contractSource
    .replace('name = "gpt-4o-mini"', 'name = "claude-haiku-4-5"')
    .replace('fallbacks = ["claude-haiku-4-5"]', 'fallbacks = ["gpt-4o-mini"]');
  const report = new Preflight(claude).checkText("free", "Which customers are most likely to upgrade?");
  assert.equal(report.tokens.exact, false);
  assert.equal(report.tokens.estimate.basis, "o200k_base");
  assert.ok(report.tokens.input > report.tokens.estimate.basis_input, "the estimate carries a margin");
  const note = report.issues.find((i) => i.code === "token_count_estimated");
  assert.match(note.message, /Anthropic does not publish/);
});

test("installTokenizer refuses damaged data and reports what is installed", () => {
  assert.equal(tokenizerReady("o200k_base"), true);
  assert.equal(tokenizerReady("cl100k_base"), true);
  assert.throws(
    () => installTokenizer(new Uint8Array([1, 2, 3])),
    (e) => /damaged/.test(e.message) && e.code === "bad_tokenizer_data",
  );
  const vocab = readFileSync(new URL("../../pkg/dist/cl100k_base.bin", import.meta.url));
  assert.equal(installTokenizer(vocab), "cl100k_base");
  assert.throws(() => installTokenizer(vocab.subarray(0, vocab.length - 1)), /damaged/);
});

test("withinTokenLimit answers without counting past the limit", () => {
  const text = "The quick brown fox jumps over the lazy dog. ".repeat(20_000);
  const full = countTokens(text, "o200k_base").count;
  assert.deepStrictEqual(withinTokenLimit(text, "o200k_base", full), { within: true, count: full });
  const over = withinTokenLimit(text, "o200k_base", 8_000);
  assert.equal(over.within, false);
  assert.ok(over.count > 8_000 && over.count < full, `${over.count} is a lower bound`);
});

test("bad prepare options throw with a code, like every other error", () => {
  const pf = new Preflight(contractSource);
  assert.throws(
    () => pf.prepareText("free", "Some text.", { mode: "shorten" }),
    (e) => e.code === "invalid_options" && /invalid options/.test(e.message),
  );
});
