// @ts-check
// The report under the meter: the one verdict (the core's words), what a
// file turned out to be, every issue, and the buttons for what the core
// offers to do about the size.

import { $, fmt, h, humanSize } from "./format.js";
import { renderIssues } from "./issues.js";
import { currentReport } from "../state.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {import("/pkg/index.js").Report} Report */
/** @typedef {import("/pkg/index.js").InputInfo} InputInfo */
/** @typedef {import("/pkg/index.js").Action} Action */

/**
 * What each offer's button says, and its longer explanation.
 * @type {Record<string, { label: (a: any) => string, title: string }>}
 */
const ACTIONS = {
  trim: {
    label: () => "Trim what isn't needed",
    title: "Remove what this task doesn't use: extra columns, blank and duplicate rows, repeated headers and footers, extra spaces.",
  },
  keep_relevant: {
    label: () => "Keep the most relevant parts",
    title: "Tell us what you want to find out, and we keep the parts of your input that match it best.",
  },
  split: {
    // `parts` is a lower bound (chunks end at boundaries, so are not all full).
    label: (a) => `Split into about ${fmt.format(a.parts)} parts`,
    title: "Send it in parts that each fit; each part gets an answer, then one more request combines them.",
  },
  upgrade: {
    label: (a) => `Use the ${a.tier} plan (${fmt.format(a.max_input_tokens)} tokens)`,
    title: "Switch to a plan with a higher limit.",
  },
};

/**
 * @param {State} s
 * @param {(action: Action) => void} onAction
 */
export function renderReport(s, onAction) {
  const section = $("report");
  const report = currentReport(s);
  const accepted = s.accepted?.prepared;
  section.hidden = !report && !accepted;
  section.dataset.input = s.bytes ? "file" : "text";
  const verdict = $("report-verdict");
  if (accepted) {
    verdict.dataset.state = "ready";
    verdict.textContent = `Ready to send the prepared version. ${accepted.plan.message}`;
    $("report-title").textContent = "Check of the prepared version";
    $("report-facts").replaceChildren();
    renderIssues($("issues"), accepted.issues.filter((i) => i.severity !== "info"), "No problems found.");
    renderActions([], onAction);
    return;
  }
  if (!report) {
    renderActions([], onAction);
    return;
  }
  verdict.dataset.state = report.verdict.state;
  verdict.textContent = report.verdict.message;
  renderFacts(s, report.input);
  // An empty box needs no list of what is wrong: the verdict says it.
  const issues = report.verdict.state === "empty" ? [] : report.issues;
  renderIssues($("issues"), issues, report.verdict.state === "empty" ? "" : "No problems found.");
  renderActions(report.issues.flatMap((i) => i.actions ?? []), onAction);
}

/** @type {Record<string, string>} */
const KIND_NAMES = {
  csv: "Table (delimited text)", text: "Plain text", xlsx: "Excel workbook (.xlsx)", xls: "Excel 97-2003 workbook (.xls)",
  xlsb: "Excel binary workbook (.xlsb)", ods: "OpenDocument spreadsheet (.ods)", json: "JSON", jsonl: "JSON Lines",
  pdf: "PDF document", unsupported: "Not readable",
};

/** @param {State} s @param {InputInfo} input */
function renderFacts(s, input) {
  const facts = $("report-facts");
  facts.replaceChildren();
  if (!s.file) {
    $("report-title").textContent = "Check of your text";
    return;
  }
  $("report-title").textContent = `Check of ${s.file.name}`;
  /** @param {string} term @param {unknown} value */
  const fact = (term, value) => {
    if (value === undefined || value === null) return;
    facts.append(h("dt", { textContent: term }), h("dd", { textContent: String(value) }));
  };
  fact("Format", KIND_NAMES[input.kind] ?? input.kind);
  fact("Size", humanSize(input.bytes));
  if (input.encoding !== "binary") fact("Character set", input.encoding);
  if (input.bom) fact("Byte-order mark", input.bom);
  if (input.line_ending) fact("Line endings", input.line_ending.toUpperCase());
  if (input.language) fact("Language", input.language_name ?? input.language);
  if (input.sheets) fact("Sheets", describeSheets(input));
  if (input.pages !== undefined) fact("Pages", fmt.format(input.pages));
  if (input.pages_without_text?.length) fact("Pages without text", input.pages_without_text.join(", "));
  if (input.encrypted) fact("Encrypted", "yes");
  if (input.delimiter_name) {
    const visible = input.delimiter !== "\t" && input.delimiter !== " ";
    fact("Separator", visible ? `${input.delimiter_name} (${input.delimiter})` : input.delimiter_name);
  }
  if (input.rows !== undefined) fact("Rows", fmt.format(input.rows));
  if (input.columns !== undefined) fact("Columns", fmt.format(input.columns));
  if (input.headers) fact("Column names", input.headers.join(", "));
}

/** @param {InputInfo} input */
function describeSheets(input) {
  return (input.sheets ?? [])
    .map((s) => {
      const notes = [`${fmt.format(s.rows)} × ${fmt.format(s.columns)}`];
      if (!s.visible) notes.push("hidden");
      if (s.merged.length) notes.push(`merged ${s.merged.slice(0, 3).join(", ")}${s.merged.length > 3 ? "…" : ""}`);
      if (s.error_cells.length) notes.push(`${s.error_cells.length} error cell${s.error_cells.length === 1 ? "" : "s"}`);
      const used = s.name === input.selected_sheet ? " (used)" : "";
      return `${s.name}${used}: ${notes.join(", ")}`;
    })
    .join("; ");
}

/** Buttons for what the core offers, once each. @param {Action[]} actions @param {(a: Action) => void} onAction */
function renderActions(actions, onAction) {
  const box = $("meter-actions");
  const seen = new Set();
  const wanted = actions.filter((a) => !seen.has(a.kind) && seen.add(a.kind) && ACTIONS[a.kind]);
  // Redrawing the same buttons would lose focus and hover: only on change.
  const key = JSON.stringify(wanted);
  if (box.dataset.key === key) return;
  box.dataset.key = key;
  box.replaceChildren();
  for (const action of wanted) {
    const spec = ACTIONS[action.kind];
    const button = h("button", { type: "button", className: "secondary", textContent: spec.label(action), title: spec.title });
    button.dataset.action = action.kind;
    if (action.kind === "keep_relevant") {
      button.setAttribute("aria-controls", "relevant-box");
      button.setAttribute("aria-expanded", String(!$("relevant-box").hidden));
    }
    button.addEventListener("click", () => onAction(action));
    box.append(button);
  }
  if (!seen.has("keep_relevant")) $("relevant-box").hidden = true;
}
