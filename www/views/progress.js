// @ts-check
// The progress of a file check or a prepare that takes a while: a bar,
// what the core says it is doing ("Reading sheet 2 of 3"), and Cancel.

import { $ } from "./format.js";

/** A job that ends sooner than this shows no bar (it would only flash). */
export const SHOW_AFTER_MS = 300;

/** @param {import("../state.js").State} s @param {number} now */
export function renderProgress(s, now) {
  const box = $("progress");
  const busy = s.busy;
  box.hidden = !busy || now - busy.startedAt < SHOW_AFTER_MS;
  if (!busy) return;
  const bar = $("progress-bar");
  if (busy.progress) bar.value = busy.progress.fraction;
  else bar.removeAttribute("value");
  $("progress-label").textContent = busy.progress?.message ? `${busy.progress.message}…` : busy.label;
}
