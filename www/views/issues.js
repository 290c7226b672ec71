// @ts-check
// A list of issues as the core words them: the severity in words beside its
// colour, the message, where, what to do, and an example.

import { h, whereText } from "./format.js";

/** @typedef {import("/pkg/index.js").Issue} Issue */

const SEVERITY_WORD = { error: "Error", warning: "Warning", info: "Note" };

/**
 * @param {HTMLElement} list
 * @param {Issue[]} issues
 * @param {string} emptyText what the list says when there are none ("" for nothing)
 */
export function renderIssues(list, issues, emptyText) {
  list.replaceChildren();
  if (issues.length === 0) {
    if (emptyText) list.append(h("li", { className: "none", textContent: emptyText }));
    return;
  }
  for (const issue of issues) {
    const where = whereText(issue.at);
    const head = h("div", {}, [
      h("span", { className: "severity", textContent: `${SEVERITY_WORD[issue.severity] ?? issue.severity}: ` }),
      h("strong", { textContent: issue.message }),
    ]);
    if (where) head.append(" ", h("span", { className: "where", textContent: `(${where})` }));
    const item = h("li", { className: issue.severity, dataset: { code: issue.code } }, [
      head,
      h("p", { className: "hint", textContent: `What to do: ${issue.hint}` }),
    ]);
    if (issue.example) item.append(h("pre", { textContent: issue.example }));
    list.append(item);
  }
}
