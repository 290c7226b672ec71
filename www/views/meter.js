// @ts-check
// The token meter under the text box: the count against the plan's limit,
// a bar, and what the whole request costs. It shows figures only; the
// verdict on them is the report's (views/report.js).

import { $, fmt, usd } from "./format.js";
import { currentReport } from "../state.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {import("/pkg/index.js").TokenInfo} TokenInfo */

/** @param {State} s */
export function renderMeter(s) {
  const meter = $("meter");
  meter.dataset.ready = String(s.tokenizer === "ready");
  if (s.startError) {
    $("meter-count").textContent = "The token counter is not available.";
    return;
  }
  if (s.tokenizerError) {
    $("meter-count").textContent = `The token counter could not load: ${s.tokenizerError}. Reload the page to try again.`;
  }
  const accepted = s.accepted?.prepared;
  if (accepted) {
    // What goes to the model now is the prepared version.
    const largest = Math.max(...accepted.parts.map((p) => p.tokens));
    const limit = accepted.tokens.limit;
    meter.dataset.state = "ok";
    meter.dataset.exact = "true";
    $("meter-fill").style.width = `${Math.min(100, (largest / limit) * 100)}%`;
    $("meter-count").textContent = accepted.parts.length === 1
      ? `${fmt.format(largest)} / ${fmt.format(limit)} tokens, prepared`
      : `${fmt.format(accepted.parts.length)} parts, each at most ${fmt.format(largest)} / ${fmt.format(limit)} tokens`;
    $("meter-cost").textContent = accepted.plan.message;
    return;
  }
  const tokens = s.bytes ? s.fileReport?.tokens : (currentReport(s)?.tokens ?? s.reading?.tokens);
  if (!tokens) {
    meter.dataset.state = "loading";
    if (!s.tokenizerError) $("meter-count").textContent = s.bytes ? "Counting the file's tokens…" : "Loading the token counter…";
    return;
  }
  renderTokens(tokens, s.loading);
}

/**
 * @param {TokenInfo} tokens
 * @param {{ loaded: number, total: number } | null} loading
 */
function renderTokens(tokens, loading) {
  const { input, limit, state, exact } = tokens;
  const meter = $("meter");
  meter.dataset.state = state;
  $("meter-fill").style.width = `${Math.min(100, (input / limit) * 100)}%`;
  // Until the vocabulary is in, the count is an estimate, and says so.
  meter.dataset.exact = String(exact);
  $("meter-count").textContent = `${exact ? "" : "about "}${fmt.format(input)} / ${fmt.format(limit)} tokens`;
  $("meter-cost").textContent = !exact
    ? loadingText(loading)
    : `${fmt.format(tokens.total)} tokens in all with the instructions (${fmt.format(tokens.overhead)}) and room for a ${fmt.format(tokens.output_reserved)}-token answer · at most ${usd(tokens.cost.total_usd_max)} on ${tokens.model} (prices of ${tokens.cost.prices_as_of})`;
}

/** The vocabulary's download, shown under the estimate until it is in. */
function loadingText(/** @type {{ loaded: number, total: number } | null} */ loading) {
  if (!loading) return "Loading the exact token counter…";
  const kb = (/** @type {number} */ n) => `${fmt.format(Math.round(n / 1024))} KB`;
  return loading.total
    ? `Loading the exact token counter… ${Math.round((loading.loaded / loading.total) * 100)}% of ${kb(loading.total)}`
    : `Loading the exact token counter… ${kb(loading.loaded)}`;
}
