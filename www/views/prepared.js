// @ts-check
// A prepared version of the input (trimmed, the relevant parts kept, or
// split): what changed, the plan, and the parts, a page at a time, then
// what the server said when it prepared the same again.

import { $, fmt, h, whereText } from "./format.js";
import { renderIssues } from "./issues.js";

/** @typedef {import("../state.js").State} State */
/** @typedef {import("../state.js").PreparedState} PreparedState */
/** @typedef {import("/pkg/index.js").Prepared} Prepared */
/** @typedef {import("/pkg/index.js").Part} Part */
/** @typedef {import("/pkg/index.js").Step} Step */

/** Parts shown at once: a split can have hundreds. */
export const PAGE_SIZE = 10;
const PREVIEW_CHARS = 20_000;

const PLAN_TITLE = {
  trim: "Trimmed to what this task needs",
  relevant: "Kept the parts that match your question",
  split: "Split into parts that each fit",
};

/**
 * @param {State} s
 * @param {{ onPage: (page: number) => void }} on
 */
export function renderPrepared(s, on) {
  const section = $("prepared");
  const current = s.accepted ?? s.prepared;
  section.hidden = !current;
  if (!current) return;
  section.dataset.state = current.state;
  section.dataset.mode = current.mode;
  section.dataset.accepted = String(Boolean(s.accepted));
  const prepared = current.prepared;
  $("prepared-title").textContent = prepared && !prepared.ok ? "This can't be sent yet" : PLAN_TITLE[current.mode];
  if (!prepared) {
    delete section.dataset.ok;
    delete section.dataset.plan;
    $("prepared-summary").textContent = current.state === "busy"
      ? (s.file ? `Preparing ${s.file.name}…` : "Preparing your text…")
      : current.state === "cancelled" ? "Cancelled. Your input is as it was." : `We could not prepare your input: ${current.error}`;
    for (const id of ["prepared-steps", "prepared-issues", "prepared-parts", "prepared-pager"]) $(id).replaceChildren();
    $("prepared-plan").textContent = "";
    renderUpload(current, false);
    return;
  }
  section.dataset.ok = String(prepared.ok);
  section.dataset.plan = prepared.plan.kind;
  $("prepared-summary").textContent = prepared.manifest.summary;
  renderSteps(prepared.manifest.steps);
  const plan = $("prepared-plan");
  plan.dataset.kind = prepared.plan.kind;
  plan.textContent = prepared.plan.kind === "refuse" && prepared.plan.reason
    ? `This can't be sent as it is: ${prepared.plan.reason}`
    : prepared.plan.message;
  renderIssues($("prepared-issues"), prepared.issues.filter((i) => i.severity !== "info"), "");
  renderParts(prepared.parts, current.page, on.onPage);
  renderUpload(current, Boolean(s.accepted));
}

/** @param {Step[]} steps */
function renderSteps(steps) {
  const list = $("prepared-steps");
  list.replaceChildren();
  for (const step of steps) {
    const item = h("li", { dataset: { kind: step.kind } }, [h("span", { textContent: step.message })]);
    // What was left out, so that nothing disappears silently (the column
    // names are in the message already).
    const items = step.kind === "columns_removed" || step.kind === "reformatted" ? [] : step.items ?? [];
    // Boilerplate lists the distinct lines and, separately, where they
    // were: the two lists do not pair up, so only the lines are shown.
    const at = step.kind === "boilerplate_removed" ? [] : step.at ?? [];
    const listed = Math.max(items.length, at.length);
    if (listed) {
      const entries = h("ul", { className: "step-items" });
      for (let i = 0; i < listed; i++) {
        const where = whereText(at[i]);
        const text = items[i] ?? "";
        entries.append(h("li", { textContent: where && text ? `${where}: ${text}` : where || text }));
      }
      if (step.count > listed) entries.append(h("li", { className: "muted", textContent: `…and ${fmt.format(step.count - listed)} more` }));
      const what = step.kind === "sections_omitted" ? "What was left out" : "Where";
      item.append(h("details", {}, [h("summary", { textContent: what }), entries]));
    }
    list.append(item);
  }
}

/** Where a table part starts and ends, as the user counts rows. @param {Part} part */
function partRows(part) {
  const row = (/** @type {any} */ at) => at?.row ?? at?.line;
  const first = row(part.first_row);
  const last = row(part.last_row);
  if (first === undefined) return "";
  const sheet = part.first_row?.sheet ? ` of sheet '${part.first_row.sheet}'` : "";
  return first === last ? ` · row ${fmt.format(first)}${sheet}` : ` · rows ${fmt.format(first)}–${fmt.format(last)}${sheet}`;
}

/**
 * One page of parts, and a pager when there is more than one page: a split
 * into 1,942 parts draws 20.
 * @param {Part[]} parts @param {number} page @param {(page: number) => void} onPage
 */
function renderParts(parts, page, onPage) {
  const list = $("prepared-parts");
  const pages = Math.max(1, Math.ceil(parts.length / PAGE_SIZE));
  const shown = Math.min(Math.max(0, page), pages - 1);
  const from = shown * PAGE_SIZE;
  list.replaceChildren();
  list.start = from + 1;
  const of = parts.length > 1 ? ` of ${fmt.format(parts.length)}` : "";
  for (const [i, part] of parts.slice(from, from + PAGE_SIZE).entries()) {
    const content = part.content.length > PREVIEW_CHARS
      ? `${part.content.slice(0, PREVIEW_CHARS)}\n… (${fmt.format(part.content.length - PREVIEW_CHARS)} more characters)`
      : part.content;
    list.append(h("li", { className: "part", dataset: { tokens: String(part.tokens) } }, [
      h("strong", { className: "part-title", textContent: `Part ${fmt.format(from + i + 1)}${of} · ${fmt.format(part.tokens)} tokens${partRows(part)}` }),
      h("details", {}, [
        h("summary", { textContent: "Show what goes to the model" }),
        h("pre", { className: "part-content", textContent: content }),
      ]),
    ]));
  }
  const pager = $("prepared-pager");
  pager.replaceChildren();
  if (pages === 1) return;
  const button = (/** @type {string} */ label, /** @type {number} */ to) => {
    const b = h("button", { type: "button", className: "secondary", textContent: label, disabled: to < 0 || to >= pages });
    b.dataset.page = String(to);
    b.addEventListener("click", () => onPage(to));
    return b;
  };
  pager.append(
    button("Previous", shown - 1),
    h("span", { className: "muted", textContent: ` Parts ${fmt.format(from + 1)}–${fmt.format(Math.min(parts.length, from + PAGE_SIZE))} of ${fmt.format(parts.length)} ` }),
    button("Next", shown + 1),
  );
}

/** The button that hands the prepared version to the server, and its answer. @param {PreparedState} current @param {boolean} accepted */
function renderUpload(current, accepted) {
  const button = $("upload-prepared");
  button.hidden = accepted;
  button.disabled = !current.prepared?.ok || current.upload?.status === "sending";
  const verdict = $("prepared-verdict");
  verdict.hidden = !current.upload;
  if (current.upload) {
    verdict.dataset.status = current.upload.status;
    verdict.textContent = current.upload.message;
  }
}
