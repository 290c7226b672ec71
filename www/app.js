// @ts-check
// The web app's entry: it wires the page's events to the store, the worker
// (which runs the Wasm core) and the server, and the store to the views.
// Every verdict, message and offer comes from the core, the same Rust code
// the server runs; nothing here decides what is valid.
//
// Typing only computes what changed (an edit of a few characters) and
// posts it to the worker, whose meter recounts around the edit and posts
// the reading back, with the last full check brought up to date by the core.

import * as api from "./api.js";
import { WorkerClient } from "./worker-client.js";
import { createStore, currentReport, initial, inputChanged } from "./state.js";
import { $, fmt } from "./views/format.js";
import { renderMeter } from "./views/meter.js";
import { renderReport } from "./views/report.js";
import { renderPrepared } from "./views/prepared.js";
import { renderProgress, SHOW_AFTER_MS } from "./views/progress.js";
import { renderSend } from "./views/send.js";

/** @typedef {import("./state.js").State} State */
/** @typedef {import("./state.js").PreparedState} PreparedState */
/** @typedef {import("/pkg/index.js").Report} Report */
/** @typedef {import("/pkg/index.js").Action} Action */
/** @typedef {import("/pkg/index.js").Progress} Progress */
/** @typedef {import("./worker-client.js").FromWorker} FromWorker */

// Figures read by the browser tests and benches.
/**
 * @type {{ codeReadyMs: number | null, meterReadyMs: number | null, firstReadingMs: number | null,
 *   tokenizer: { source: string, bytes: number, workerMs: number } | null,
 *   updates: { meterMs: number, sinceInputMs: number, length: number }[] }}
 */
const timings = { codeReadyMs: null, meterReadyMs: null, firstReadingMs: null, tokenizer: null, updates: [] };
/** @type {any} */ (window).preflightTimings = timings;

const store = createStore(initial);
// `?testing=…` (browser tests only): `no-prescans` lets files reach their
// readers without the core's pre-scans, to see the recovery from a reader's
// crash; `slow-progress` makes each step of a long job slow, to cancel it.
const testing = (new URLSearchParams(location.search).get("testing") ?? "").split(",");
const client = new WorkerClient({
  onMessage, text: () => store.get().text,
  noPrescans: testing.includes("no-prescans"), slowSteps: testing.includes("slow-progress"),
});

// --- Rendering: each view when what it shows changed -------------------------

/** @type {[(s: State) => void, (keyof State)[]][]} */
const VIEWS = [
  [renderMeter, ["reading", "textReport", "fileReport", "bytes", "accepted", "tokenizer", "loading", "tokenizerError", "startError"]],
  [(s) => renderReport(s, runAction), ["textReport", "fileReport", "bytes", "file", "accepted"]],
  [(s) => renderPrepared(s, { onPage }), ["prepared", "accepted", "file"]],
  [(s) => renderProgress(s, performance.now()), ["busy"]],
  [renderSend, ["textReport", "fileReport", "fileError", "bytes", "accepted", "busy", "sent"]],
];

store.subscribe((s, before) => {
  for (const [render, keys] of VIEWS) if (keys.some((k) => s[k] !== before[k])) render(s);
});

// --- Messages from the worker -------------------------------------------------

/** @param {FromWorker} data */
function onMessage(data) {
  switch (data.type) {
    case "code-ready":
      timings.codeReadyMs = performance.now();
      break;
    case "progress":
      store.update({ loading: { loaded: data.loaded, total: data.total } });
      break;
    case "tokenizer-ready":
      // Switching tasks reuses the vocabulary already in ("installed").
      if (!timings.tokenizer || data.source !== "installed") {
        timings.meterReadyMs = performance.now();
        timings.tokenizer = { source: data.source, bytes: data.bytes, workerMs: data.ms };
      }
      store.update({ tokenizer: "ready" });
      break;
    case "tokenizer-failed":
      store.update({ tokenizer: "failed", tokenizerError: data.error });
      break;
    case "meter":
      onReading(data);
      break;
    case "error":
      console.error(data.error);
      break;
  }
}

let shownSeq = -1;
/** @type {Map<number, number>} */
const inputTimes = new Map();

/** A reading: the DOM is updated at once (a few text nodes), painted with the next frame. @param {Extract<FromWorker, { type: "meter" }>} data */
function onReading({ seq, reading, report, ms }) {
  timings.firstReadingMs ??= performance.now();
  if (seq !== -1 && seq < shownSeq) return;
  shownSeq = seq;
  store.update({ reading, textReport: report ?? store.get().textReport });
  const since = inputTimes.get(seq);
  inputTimes.delete(seq);
  if (since !== undefined) {
    timings.updates.push({ meterMs: ms, sinceInputMs: performance.now() - since, length: store.get().text.length });
    if (timings.updates.length > 1000) timings.updates.shift();
  }
}

// --- Start, tasks and plans ---------------------------------------------------

async function start() {
  try {
    const contracts = await api.contracts();
    if (contracts.length === 0) throw new Error("the server has no contracts");
    store.update({ contracts, text: $("prompt").value });
    fillContracts(contracts);
    await signIn();
    await useContract(contracts[0].id);
    // Typing works at once; the meter estimates until the tokenizer is in.
    for (const id of ["prompt", "tier", "contract"]) $(id).disabled = false;
    $("tier").disabled = $("tier").dataset.locked === "true";
  } catch (error) {
    $("contract-description").textContent = `We could not start the checker: ${message(error)}. Reload the page to try again.`;
    store.update({ startError: message(error) });
  }
}

const message = (/** @type {unknown} */ error) => (error instanceof Error ? error.message : String(error));

/** "customer-list" → "Customer list". @param {string} id */
const taskName = (id) => {
  const words = id.replace(/[-_]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

/** @param {import("./state.js").ContractSummary[]} contracts */
function fillContracts(contracts) {
  const select = $("contract");
  select.replaceChildren();
  for (const [i, contract] of contracts.entries()) {
    const option = new Option(taskName(contract.id), contract.id, i === 0, i === 0);
    option.title = contract.description;
    select.add(option);
  }
}

// --- The caller's key and allowance ------------------------------------------

/** @type {{ user: string, tier: string, admin: boolean } | null} */
let account = null;

/** Uses a saved key, else the local demo key; else asks for one. */
async function signIn() {
  const key = await api.restoreKey();
  $("api-key-label").hidden = key !== null;
}

/** Shows who is signed in and their allowance on `contract`, and keeps the tier on theirs. @param {string} contract */
async function showAccount(contract) {
  if (!api.key()) {
    account = null;
    $("account").hidden = true;
    return;
  }
  try {
    const me = await api.me(contract);
    account = { user: me.user, tier: me.tier, admin: me.admin };
    $("account").textContent = me.admin
      ? `Sending as ${me.user}, an operator: every plan can be tried.`
      : `Sending as ${me.user}, on the ${me.tier} plan.`;
    $("account").hidden = false;
    $("operator-link").hidden = !me.admin;
    showQuota(me.quota?.warnings ?? []);
  } catch (error) {
    account = null;
    $("operator-link").hidden = true;
    $("account").textContent = `Your key was not accepted: ${message(error)}`;
    $("account").hidden = false;
    $("api-key-label").hidden = false;
  }
}

/** The warnings from 80% of a monthly allowance. @param {string[]} warnings */
function showQuota(warnings) {
  $("quota-warning").textContent = warnings.join(" ");
  $("quota-warning").hidden = warnings.length === 0;
}

$("api-key").addEventListener("change", () => {
  api.saveKey(/** @type {HTMLInputElement} */ ($("api-key")).value.trim() || null);
  const contract = store.get().contract;
  if (contract) showAccount(contract.id).then(() => useContract(contract.id));
});

let contractSeq = 0;
/** Loads a contract and (re)starts the worker on it, then checks the input again. @param {string} id */
async function useContract(id) {
  const seq = ++contractSeq;
  const { contracts } = store.get();
  const summary = contracts.find((c) => c.id === id) ?? contracts[0];
  const contract = await api.contract(summary.id);
  if (seq !== contractSeq) return; // another task was picked meanwhile
  await showAccount(contract.id);
  if (seq !== contractSeq) return;
  // A signed-in user runs on their own plan (an operator may try any).
  const own = account && !account.admin && account.tier in contract.tiers ? account.tier : null;
  fillTiers(contract, own ?? summary.default_tier);
  $("tier").dataset.locked = own ? "true" : "false";
  $("tier").disabled = own !== null || $("prompt").disabled;
  $("contract-description").textContent = contract.description;
  $("contract-id").textContent = `${contract.id} v${contract.version}`;
  const restart = store.get().contract !== null;
  store.update({
    ...inputChanged, contract, tier: $("tier").value || undefined, textReport: null, reading: null,
    ...(restart ? { tokenizer: "loading" } : {}),
  });
  client.start(JSON.stringify(contract), store.get().tier);
  if (store.get().bytes) checkFile();
  else scheduleFullCheck();
}

/** @param {import("./state.js").ContractJson} contract @param {string} defaultTier */
function fillTiers(contract, defaultTier) {
  const select = $("tier");
  select.replaceChildren();
  const tiers = Object.entries(contract.tiers).sort((a, b) => a[1].max_input_tokens - b[1].max_input_tokens);
  for (const [name, tier] of tiers) {
    select.add(new Option(`${name} (${fmt.format(tier.max_input_tokens)} tokens per request)`, name, false, name === defaultTier));
  }
}

function tierChanged() {
  store.update({ ...inputChanged, tier: $("tier").value || undefined });
  if (store.get().bytes) return checkFile();
  client.setTier(store.get().tier);
  scheduleFullCheck();
}

// --- Typing: edits to the worker ----------------------------------------------

const isHigh = (/** @type {number} */ c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (/** @type {number} */ c) => c >= 0xdc00 && c <= 0xdfff;

/**
 * The edit that turns `a` into `b`, as UTF-16 offsets into `a`. The caret
 * positions before and after the change locate it in the usual cases
 * (typing, deleting, pasting), checked with two native string comparisons;
 * anything else falls back to scanning both ends.
 * @param {string} a @param {string} b @param {{ start: number, end: number } | null} before @param {number} caret
 */
function diff(a, b, before, caret) {
  let start = Math.min(before?.start ?? 0, caret);
  let tail = b.length - caret;
  const plausible = before && start <= a.length - tail && tail >= 0
    && a.slice(0, start) === b.slice(0, start) && a.slice(a.length - tail) === b.slice(caret);
  if (!plausible) {
    const max = Math.min(a.length, b.length);
    start = 0;
    while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
    tail = 0;
    while (tail < max - start && a.charCodeAt(a.length - 1 - tail) === b.charCodeAt(b.length - 1 - tail)) tail++;
  }
  // Never split a surrogate pair: the core counts whole characters.
  if (start > 0 && isHigh(a.charCodeAt(start - 1))) start--;
  if (tail > 0 && isLow(a.charCodeAt(a.length - tail))) tail--;
  return { start, end: a.length - tail, text: b.slice(start, b.length - tail) };
}

/** @type {{ start: number, end: number } | null} */
let selectionBefore = null;
$("prompt").addEventListener("beforeinput", (/** @type {InputEvent} */ e) => {
  const box = /** @type {HTMLTextAreaElement} */ (e.target);
  selectionBefore = { start: box.selectionStart, end: box.selectionEnd };
});

$("prompt").addEventListener("input", (/** @type {InputEvent} */ event) => {
  const box = $("prompt");
  const next = box.value;
  const edit = diff(store.get().text, next, selectionBefore, box.selectionEnd);
  selectionBefore = null;
  const seq = client.edit(edit);
  inputTimes.set(seq, event.timeStamp);
  store.update(store.get().bytes ? { text: next } : { text: next, ...inputChanged });
  scheduleFullCheck();
});

// --- The full check of typed text (language, emptiness, …), when idle --------

/** @type {ReturnType<typeof setTimeout> | undefined} */
let fullTimer;
function scheduleFullCheck() {
  clearTimeout(fullTimer);
  const wait = store.get().text.length > 100_000 ? 600 : 200;
  fullTimer = setTimeout(() => fullCheck(), wait);
}

/** Checks the typed text in full; resolves with the report for the current text. @returns {Promise<Report | null>} */
async function fullCheck() {
  const s = store.get();
  if (s.bytes || !s.contract) return null;
  const text = s.text;
  const report = await client.checkText(s.tier, text);
  if (text !== store.get().text || store.get().bytes) return null; // typing went on meanwhile
  store.update({ textReport: report });
  return report;
}

// --- Long jobs in the worker: progress and cancel -----------------------------

/**
 * Runs a long job, with a progress bar once it has taken `SHOW_AFTER_MS`.
 * @template T
 * @param {string} label
 * @param {(onProgress: (p: Progress) => void) => Promise<T>} run
 * @returns {Promise<T>}
 */
async function busy(label, run) {
  const mine = { label, progress: null, startedAt: performance.now() };
  store.update({ busy: mine });
  const reveal = setTimeout(() => store.get().busy === mine && renderProgress(store.get(), performance.now()), SHOW_AFTER_MS);
  try {
    return await run((progress) => {
      if (store.get().busy?.startedAt === mine.startedAt) store.update({ busy: { ...mine, progress } });
    });
  } finally {
    clearTimeout(reveal);
    if (store.get().busy?.startedAt === mine.startedAt) store.update({ busy: null });
  }
}

function cancel() {
  client.cancel();
  store.update({ busy: null });
}

// --- Files --------------------------------------------------------------------

/** @param {File | undefined} file */
async function useFile(file) {
  if (!file) return;
  const bytes = new Uint8Array(await file.arrayBuffer());
  store.update({ ...inputChanged, file, bytes, fileReport: null, fileError: null });
  $("file-name").textContent = `File: ${file.name} (your text is ignored while a file is chosen)`;
  $("file-bar").hidden = false;
  await checkFile();
}

let fileSeq = 0;
/** Checks the chosen file in the worker, with progress. */
async function checkFile() {
  const { file, bytes, tier } = store.get();
  if (!file || !bytes) return;
  const seq = ++fileSeq;
  store.update({ fileReport: null, fileError: null });
  $("dropzone").dataset.busy = "true";
  try {
    const report = await busy(`Checking ${file.name} (${fmt.format(bytes.length)} bytes)…`, (onProgress) =>
      client.checkFile(tier, file.name, bytes, onProgress));
    if (seq === fileSeq) store.update({ fileReport: report });
  } catch (error) {
    if (seq !== fileSeq) return;
    const cancelled = /** @type {any} */ (error).code === "cancelled";
    store.update({ fileError: cancelled ? "the check was cancelled. Choose the file again to check it." : message(error) });
  } finally {
    if (seq === fileSeq) delete $("dropzone").dataset.busy;
  }
}

function clearFile() {
  fileSeq++;
  $("file").value = "";
  $("file-bar").hidden = true;
  store.update({ ...inputChanged, file: null, bytes: null, fileReport: null, fileError: null });
  scheduleFullCheck();
}

// --- Preparing an over-limit input: trim, keep the most relevant, split -------

/** What each offer does. @param {Action} action */
function runAction(action) {
  switch (action.kind) {
    case "trim":
      return runPrepare("trim");
    case "split":
      return runPrepare("split");
    case "keep_relevant":
      $("relevant-box").hidden = false;
      $("meter-actions").querySelector('[data-action="keep_relevant"]')?.setAttribute("aria-expanded", "true");
      return $("question").focus();
    case "upgrade":
      $("tier").value = action.tier;
      return tierChanged();
  }
}

const runRelevant = () => runPrepare("relevant", $("question").value.trim() || undefined);

let prepareSeq = 0;
/**
 * Prepares the current text or file in the worker and shows the result.
 * @param {"trim" | "relevant" | "split"} mode @param {string} [question]
 */
async function runPrepare(mode, question) {
  const s = store.get();
  if (!s.contract) return;
  const seq = ++prepareSeq;
  /** @type {PreparedState} */
  const current = {
    state: "busy", mode, prepared: null, error: null, page: 0, upload: null,
    request: { contract: s.contract.id, tier: s.tier, question: mode === "relevant" ? question : undefined },
  };
  store.update({ prepared: current, accepted: null, sent: null });
  /** @type {import("/pkg/index.js").PrepareOptions} */
  const options = current.request.question ? { mode, question: current.request.question } : { mode };
  const input = s.file && s.bytes ? { name: s.file.name, bytes: s.bytes } : { text: s.text };
  try {
    const prepared = await busy(s.file ? `Preparing ${s.file.name}…` : "Preparing your text…", (onProgress) =>
      client.prepare(s.tier, input, options, onProgress));
    if (seq === prepareSeq && store.get().prepared === current) store.update({ prepared: { ...current, state: "done", prepared } });
  } catch (error) {
    if (seq !== prepareSeq || store.get().prepared !== current) return;
    const code = /** @type {any} */ (error).code;
    store.update({
      prepared: {
        ...current,
        state: code === "cancelled" ? "cancelled" : "failed",
        error: code === "tokenizer_not_loaded"
          ? "the token counter has not loaded. Reload the page to try again."
          : message(error),
      },
    });
  }
}

/** @param {number} page */
function onPage(page) {
  const { prepared, accepted } = store.get();
  if (accepted) store.update({ accepted: { ...accepted, page } });
  else if (prepared) store.update({ prepared: { ...prepared, page } });
}

/** The browser and the server prepared the same payload. @param {any[]} a @param {any[]} b */
const sameParts = (a, b) =>
  a.length === b.length && a.every((p, i) => p.content === b[i].content && p.tokens === b[i].tokens);

/** Asks the server to prepare the same again. @param {PreparedState} current */
function prepareOnServer(current) {
  const prepared = /** @type {import("/pkg/index.js").Prepared} */ (current.prepared);
  return api.prepare({
    contract: current.request.contract, tier: current.request.tier, mode: prepared.mode,
    question: current.request.question, upload: prepared.upload,
  });
}

/**
 * Uploads only the prepared payload (never the original); the server
 * prepares it again as its final check. When it gets the same parts, the
 * page moves to the prepared version: the limit is met, and Send sends it.
 */
async function usePrepared() {
  const current = store.get().prepared;
  if (!current?.prepared?.ok) return;
  const prepared = current.prepared;
  const still = () => store.get().prepared?.request === current.request;
  /** @param {NonNullable<PreparedState["upload"]>} upload */
  const say = (upload) => ({ ...current, upload });
  store.update({ prepared: say({ status: "sending", message: "Uploading the prepared input…" }) });
  try {
    const { status, body } = await prepareOnServer(current);
    if (!still()) return;
    if (status === 200 && body?.parts) {
      const n = body.parts.length;
      if (sameParts(body.parts, prepared.parts)) {
        const done = say({
          status: "same",
          message: `The server checked it again and got the same ${n === 1 ? "single part" : `${fmt.format(n)} parts`}, so this is exactly what goes to the model.`,
        });
        store.update({ prepared: done, accepted: done });
      } else {
        store.update({
          prepared: say({
            status: "different",
            message: `The server checked it again but got different parts (${fmt.format(n)} on the server, ${fmt.format(prepared.parts.length)} here). The server's version is the one that counts: ${body.plan.message}`,
          }),
        });
      }
    } else {
      store.update({
        prepared: say({
          status: "refused",
          message: `The server did not accept it. ${body.plan.reason ? `It can't be sent as it is: ${body.plan.reason}` : body.plan.message}`,
        }),
      });
    }
  } catch (error) {
    if (still()) store.update({ prepared: say({ status: "error", message: `We could not upload it: ${message(error)}. Try again in a moment.` }) });
  }
}

// --- Send ---------------------------------------------------------------------

/** The verdicts that matter agree: sendable, the state, and each issue (code, severity, message). @param {Report} a @param {Report} b */
function sameVerdict(a, b) {
  const issues = (/** @type {Report} */ r) => r.issues.map((i) => `${i.severity}:${i.code}:${i.message}`).sort().join("\n");
  const counted = a.tokens.counted_by || b.tokens.counted_by ? true : a.tokens.input === b.tokens.input;
  return a.ok === b.ok && a.verdict.state === b.verdict.state && issues(a) === issues(b) && counted;
}

/** @type {AbortController | null} */
let running = null;

/**
 * Send: the server checks the input again and runs it, streaming what
 * happens (the model asked, a wait for a rate limit with its end, the
 * parts of a long input, the answer as it comes), then the answer or the
 * failure in plain words. A prepared version is sent instead of the
 * original when one was accepted.
 */
async function send() {
  const s = store.get();
  if (!s.contract) return;
  running?.abort();
  const controller = new AbortController();
  running = controller;
  const still = () => running === controller;
  /** @type {import("./state.js").Sent} */
  const start = { status: "sending", report: null, payload: null, message: "", matchesBrowser: null, prepared: Boolean(s.accepted) };
  store.update({ sent: start });
  /** @param {Partial<import("./state.js").Sent>} patch */
  const sent = (patch) => {
    if (!still()) return;
    const before = store.get().sent;
    if (!before) {
      // The input changed: this run's answer is no longer for it.
      controller.abort();
      running = null;
      return;
    }
    store.update({ sent: { ...before, ...patch } });
  };
  try {
    let local = null;
    /** @type {Parameters<typeof api.run>[0]} */
    let input;
    if (s.accepted?.prepared) {
      const upload = s.accepted.prepared.upload;
      input = upload.name !== null
        ? { contract: s.contract.id, tier: s.tier, file: { name: upload.name, bytes: upload.text } }
        : { contract: s.contract.id, tier: s.tier, text: upload.text };
    } else {
      local = currentReport(s);
      if (!s.bytes) {
        // The browser's verdict on exactly the text being sent.
        clearTimeout(fullTimer);
        local = await fullCheck();
        if (!local?.ok) return store.update({ sent: null });
      }
      input = s.bytes && s.file
        ? { contract: s.contract.id, tier: s.tier, file: { name: s.file.name, bytes: s.bytes } }
        : { contract: s.contract.id, tier: s.tier, text: s.text };
    }
    const model = s.contract.model.name;
    sent({ status: "running", message: `Sending to ${model}…`, activity: "The server is checking your input again.", answer: "", attempts: [] });
    let answer = "";
    /** @type {any[]} */
    const attempts = [];
    const onEvent = (/** @type {string} */ name, /** @type {any} */ data) => {
      switch (name) {
        case "attempt":
          attempts.push(data);
          sent({ activity: data.step === "answer" ? `Asking ${data.model}…` : `Asking ${data.model} (${data.step})…`, wait: null });
          break;
        case "waiting":
          sent({ message: "Your request is waiting its turn.", wait: { message: data.message, ms: data.wait_ms, until: Date.now() + data.wait_ms } });
          break;
        case "fallback":
          sent({ activity: data.message, wait: null });
          break;
        case "part": {
          const before = store.get().sent?.parts;
          const answered = (before?.answered ?? 0) + (data.state === "answered" ? 1 : 0);
          sent({ parts: { of: data.of, answered } });
          break;
        }
        case "delta":
          answer += data.text;
          sent({ answer, wait: null, message: `${model} is answering…` });
          break;
        case "done":
          showQuota(data.quota?.warnings ?? []);
          sent({
            status: "answered", report: data.report, payload: data.payload ?? null, wait: null, activity: "",
            answer: data.answer.text, dryRun: data.answer.dry_run, truncated: data.answer.truncated,
            output: data.answer.output ?? null, summary: data.summary, attempts: data.attempts,
            matchesBrowser: local ? sameVerdict(data.report, local) : null,
            message: data.answer.dry_run
              ? "Checked and ready: this server has no model key, so nothing was sent to a model."
              : `Answered by ${data.answer.model}.`,
          });
          break;
        case "error":
          if (data.quota) showQuota(data.quota.warnings ?? []);
          sent({
            status: "failed", wait: null, activity: "", report: data.report ?? null,
            message: data.error.message, hint: data.error.hint, summary: data.summary, attempts: data.attempts ?? attempts,
          });
          break;
      }
    };
    let refused = await api.run(input, onEvent, controller.signal);
    if (refused.status === 202 && refused.body?.job && still()) {
      // Queued: show the place in the queue and a countdown, and follow the
      // job until it is done; its result is the same as a direct answer.
      const id = refused.body.job.id;
      let view = refused.body.job;
      sent({ message: refused.body.message, activity: "", queue: { position: view.position ?? 0 },
        wait: { message: refused.body.message, ms: view.eta_ms ?? 0, until: Date.now() + (view.eta_ms ?? 0) } });
      while (still() && view.status !== "done" && view.status !== "cancelled") {
        await new Promise((resolve) => setTimeout(resolve, 1000));
        view = await api.job(id, controller.signal);
        if (view.status === "queued") {
          sent({ queue: { position: view.position ?? 0 }, wait: { message: refused.body.message, ms: view.eta_ms ?? 0, until: Date.now() + (view.eta_ms ?? 0) } });
        } else if (view.status === "running") {
          sent({ queue: null, wait: null, activity: `Asking ${model}…` });
        }
      }
      if (!still()) return;
      if (view.status === "done" && view.status_code === 200) {
        onEvent("done", view.result);
        return;
      }
      refused = { status: view.status_code ?? 500, body: view.result ?? { error: { message: "The job was cancelled." } } };
      if (view.result?.error && view.status_code !== 422) {
        onEvent("error", view.result);
        return;
      }
    }
    if (refused.body && still()) {
      const body = refused.body;
      const report = body.report ?? null;
      sent({
        status: refused.status === 422 && body.error?.code === "check_failed" ? "refused" : "failed",
        report, activity: "", answer: "",
        matchesBrowser: local && report ? sameVerdict(report, local) : null,
        message: body.error?.code === "check_failed" ? `Refused by the server: ${body.error.message}` : body.error?.message ?? `The server answered ${refused.status}.`,
        hint: body.error?.hint,
      });
    }
  } catch (error) {
    if (!still()) return;
    store.update({
      sent: { ...start, status: "error", message: `We could not reach the server: ${message(error)}` },
    });
  } finally {
    if (still()) running = null;
  }
}

// --- Events -------------------------------------------------------------------

$("tier").addEventListener("change", tierChanged);
$("send").addEventListener("click", send);
$("contract").addEventListener("change", () => {
  useContract($("contract").value).catch((error) => {
    $("contract-description").textContent = `We could not load this task: ${message(error)}. Pick it again or reload the page.`;
  });
});
$("run-relevant").addEventListener("click", runRelevant);
$("question").addEventListener("keydown", (/** @type {KeyboardEvent} */ e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    runRelevant();
  }
});
$("upload-prepared").addEventListener("click", usePrepared);
$("progress-cancel").addEventListener("click", cancel);
$("file").addEventListener("change", (/** @type {Event} */ e) => useFile(/** @type {HTMLInputElement} */ (e.target).files?.[0]));
$("clear-file").addEventListener("click", clearFile);
const zone = $("dropzone");
// The file readers are a second, larger module: start fetching it as soon
// as a file may come (a drag over the page, the pointer or focus near the
// picker), so it is usually there by the time the file is dropped.
const preloadReaders = () => client.preload();
window.addEventListener("dragenter", preloadReaders, { once: true });
for (const event of ["pointerenter", "focusin"]) zone.addEventListener(event, preloadReaders, { once: true });
zone.addEventListener("dragover", (/** @type {DragEvent} */ e) => { e.preventDefault(); zone.classList.add("dragover"); });
zone.addEventListener("dragleave", () => zone.classList.remove("dragover"));
zone.addEventListener("drop", (/** @type {DragEvent} */ e) => {
  e.preventDefault();
  zone.classList.remove("dragover");
  useFile(e.dataTransfer?.files[0]);
});

start();
