// @ts-check
// Send: enabled exactly when the report (or the accepted prepared version)
// says the input can go, and what the server said when it was sent.

import { $ } from "./format.js";
import { renderIssues } from "./issues.js";
import { currentReport } from "../state.js";

/** @typedef {import("../state.js").State} State */

/** @param {State} s */
export function renderSend(s) {
  const send = $("send");
  const note = $("send-note");
  const report = currentReport(s);
  if (s.sent?.status === "sending" || s.sent?.status === "running") {
    send.disabled = true;
    note.textContent = s.sent.status === "sending" ? "Sending…" : "Running…";
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

/** "about 2 seconds" until `until` (a `Date.now()` time). @param {number} until */
export function countdown(until) {
  const seconds = Math.max(0, Math.ceil((until - Date.now()) / 1000));
  if (seconds === 0) return "trying again now…";
  return `about ${seconds} second${seconds === 1 ? "" : "s"} left`;
}

/** @type {ReturnType<typeof setInterval> | null} */
let ticking = null;

/** @param {State} s */
function renderSent(s) {
  const section = $("verdict");
  const sent = s.sent;
  section.hidden = !sent || sent.status === "sending";
  if (!sent || sent.status === "sending") return;
  section.dataset.status = sent.status;
  if (sent.status === "running") delete section.dataset.ok;
  else section.dataset.ok = String(sent.status === "answered");
  if (sent.matchesBrowser === null) delete section.dataset.matchesBrowser;
  else section.dataset.matchesBrowser = String(sent.matchesBrowser);
  $("verdict-title").textContent = sent.message;
  $("verdict-note").textContent = [sent.hint, sent.summary].filter(Boolean).join(" ");
  const issues = sent.report?.issues.filter((i) => i.severity !== "info") ?? [];
  const showIssues = sent.status === "refused";
  renderIssues($("verdict-issues"), showIssues ? issues : [], showIssues ? "No problems found." : "");

  const activity = $("run-activity");
  activity.hidden = sent.status !== "running" || !sent.activity;
  activity.textContent = sent.activity ?? "";

  // A wait is shown as a wait, with its countdown: never as an error.
  const wait = $("run-wait");
  const waiting = sent.status === "running" && sent.wait && sent.wait.until > Date.now() - 1000;
  wait.hidden = !waiting;
  if (ticking) clearInterval(ticking);
  ticking = null;
  if (waiting && sent.wait) {
    const until = sent.wait.until;
    wait.dataset.waitMs = String(sent.wait.ms);
    $("run-wait-message").textContent = sent.wait.message;
    const tick = () => ($("run-wait-countdown").textContent = countdown(until));
    tick();
    ticking = setInterval(tick, 250);
  }

  // A queued job: its place in the queue (the countdown is the wait's).
  const queue = $("run-queue");
  queue.hidden = !(sent.status === "running" && sent.queue);
  if (sent.queue) {
    queue.dataset.position = String(sent.queue.position);
    queue.textContent = sent.queue.position === 0
      ? "Your request is next in the queue."
      : `Your request is in the queue: ${sent.queue.position} ahead of it.`;
  }

  const parts = $("run-parts");
  parts.hidden = !sent.parts;
  if (sent.parts) {
    const { of, answered } = sent.parts;
    parts.dataset.answered = String(answered);
    parts.dataset.of = String(of);
    parts.textContent = answered < of
      ? `Your input runs in ${of} parts: ${answered} of ${of} answered so far.`
      : `All ${of} parts answered${sent.status === "running" ? "; combining them now." : ", then combined."}`;
  }

  const answer = $("answer");
  answer.hidden = !sent.answer;
  answer.textContent = sent.answer ?? "";
  answer.dataset.dryRun = String(Boolean(sent.dryRun));

  const output = $("run-output");
  const outputNote = sent.truncated
    ? "The answer is cut off: its end is missing."
    : sent.output && !sent.output.ok && !sent.output.skipped
      ? `The answer does not have the expected format: ${sent.output.reason ?? "see above"}.`
      : "";
  output.hidden = !outputNote;
  output.textContent = outputNote;

  const attempts = sent.attempts ?? [];
  $("attempts-box").hidden = attempts.length === 0;
  $("attempts").replaceChildren(
    ...attempts.map((a) => {
      const li = document.createElement("li");
      const what = a.class ? a.class.replaceAll("_", " ") : "answered";
      const tokens = a.usage.input + a.usage.output;
      li.textContent = `${a.step}: ${a.model} (${a.provider}), ${what}, ${a.latency_ms} ms, ${tokens} tokens${a.usage.counted_by_us ? " (our count)" : ""}`;
      return li;
    }),
  );

  const payloadBox = $("payload-box");
  payloadBox.hidden = !sent.payload;
  $("payload").textContent = sent.payload ? JSON.stringify(sent.payload, null, 2) : "";
}
