// @ts-check
// Send: enabled exactly when the report (or the accepted prepared version)
// says the input can go, and what the server said when it was sent.

import { $ } from "./format.js";
import { renderIssues } from "./issues.js";
import { currentReport } from "../state.js";

/** @typedef {import("../state.js").State} State */

/** Until the provider calls land, Send checks and prepares, and says so. */
export const NO_MODEL_YET =
  "No model is called yet: this version checks your input and prepares exactly what would be sent. Calling the model comes in a later version.";

/** @param {State} s */
export function renderSend(s) {
  const send = $("send");
  const note = $("send-note");
  const report = currentReport(s);
  if (s.sent?.status === "sending") {
    send.disabled = true;
    note.textContent = "Sending…";
  } else if (s.busy) {
    send.disabled = true;
    note.textContent = s.busy.label;
  } else if (s.accepted) {
    send.disabled = false;
    note.textContent = "Send uploads the prepared version, not your original.";
  } else if (s.bytes && s.fileError) {
    send.disabled = true;
    note.textContent = `We could not check this file: ${s.fileError}`;
  } else if (!report) {
    send.disabled = true;
    note.textContent = s.bytes ? "Checking your file…" : "Checking…";
  } else {
    send.disabled = !report.ok;
    note.textContent = report.ok
      ? "Your input passed the check in your browser. The server checks it again."
      : "Send is available once the check above passes.";
  }
  renderSent(s);
}

/** @param {State} s */
function renderSent(s) {
  const section = $("verdict");
  const sent = s.sent;
  section.hidden = !sent || sent.status === "sending";
  if (!sent || sent.status === "sending") return;
  section.dataset.ok = String(sent.status === "accepted");
  if (sent.matchesBrowser === null) delete section.dataset.matchesBrowser;
  else section.dataset.matchesBrowser = String(sent.matchesBrowser);
  $("verdict-title").textContent = sent.message;
  $("verdict-note").textContent = sent.status === "accepted" ? NO_MODEL_YET : "";
  const issues = sent.report?.issues.filter((i) => i.severity !== "info") ?? [];
  renderIssues($("verdict-issues"), sent.status === "error" ? [] : issues, sent.status === "accepted" ? "" : "No problems found.");
  const payloadBox = $("payload-box");
  payloadBox.hidden = !sent.payload;
  $("payload").textContent = sent.payload ? JSON.stringify(sent.payload, null, 2) : "";
}
