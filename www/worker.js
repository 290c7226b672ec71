// @ts-check
// All the Wasm work of the page, off the main thread: the live token meter
// (edits in, counts out), the full check of typed text, dropped files, and
// preparing an over-limit input (trim, keep the most relevant parts,
// split). Typing never waits for it. It only relays: the core does the work.
// A file reader's crash is recovered by the package (a fresh instance for
// files; the meter's is never touched), so the worker lives on.
import init, { Preflight, __setPrescans, loadFull } from "/pkg/browser.js";
import { loadTokenizer } from "/pkg/tokenizer.js";

// The meter module is fetched and compiled as soon as the worker starts,
// while the page is still fetching the contract.
const ready = init();
ready.catch(() => {}); // a failure is reported by the "start" that awaits it

let preflight = null;
let meter = null;
// Whether the full check of typed text needs the full module (the contract
// accepts only some languages). Otherwise the meter checks its own text in
// full, and each reading brings that report up to date (the core's
// `LiveCheck::report`), so the page shows one verdict.
let needsFull = false;
let tier;
// The text typed before the Wasm code was ready; the meter starts from it.
let pending = "";
// The vocabulary being loaded for the current contract.
let tokenizer = null;
// Bumped by every "start": a vocabulary that arrives for an earlier
// contract does not start a meter.
let generation = 0;
// Messages are handled one at a time, in order.
let queue = Promise.resolve();

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data)).catch((error) => {
    self.postMessage({ type: "error", id: data.id, error: error.message ?? String(error), code: error.code });
  });
};

const post = (message) => self.postMessage(message);

// Long texts are not trimmed at every keystroke, so their offers (Trim, a
// split) are settled once typing pauses.
const SETTLE_AFTER_MS = 250;
let settleTimer = null;

/** The meter's reading, with how long the core took. */
function reading(seq, update) {
  const begin = performance.now();
  const result = update();
  const ms = performance.now() - begin;
  post({ type: "meter", seq, reading: result, report: current(), ms });
  clearTimeout(settleTimer);
  if (!result.settled) {
    const settling = meter;
    settleTimer = setTimeout(() => {
      queue = queue.then(() => {
        if (meter !== settling) return;
        const settled = meter.settle();
        post({ type: "meter", seq, reading: settled, report: current(), ms: 0 });
      });
    }, SETTLE_AFTER_MS);
  }
}

/** The last full check, up to date with the meter's text. */
const current = () => (needsFull ? null : meter.report ?? null);

// `?testing=slow-progress` (browser tests only): each step of a long job
// takes 400 ms more, so a test sees the bar and can cancel.
let slowSteps = false;

/** Posts a job's progress (the core calls this at each step). */
const progressOf = (id) => (progress) => {
  post({ type: "job-progress", id, progress });
  if (slowSteps) for (const until = performance.now() + 400; performance.now() < until;);
};

async function handle(data) {
  switch (data.type) {
    case "start": {
      // The first contract, or another one the user picked.
      const begin = performance.now();
      const current = ++generation;
      await ready;
      __setPrescans(!data.noPrescans);
      slowSteps = Boolean(data.slowSteps);
      // The objects let go of are released by the package's finalizers.
      meter = null;
      preflight = new Preflight(data.source);
      needsFull = preflight.checkTextNeedsFull;
      tier = data.tier;
      post({ type: "code-ready", ms: performance.now() - begin });
      // The meter estimates at once, and counts exactly when the
      // vocabulary (loading in the background) is in.
      meter = preflight.meter(tier);
      meter.setText(pending);
      // A first full check, so every reading carries the report.
      if (!needsFull) meter.check();
      reading(-1, () => meter.reading);
      pending = "";
      const encoding = /** @type {"o200k_base" | "cl100k_base"} */ (preflight.encoding);
      tokenizer = loadTokenizer(encoding, {
        onProgress: (loaded, total) => post({ type: "progress", encoding, loaded, total }),
      });
      tokenizer.then(
        (loaded) => {
          queue = queue.then(() => {
            if (current !== generation) return;
            reading(-1, () => meter.setText(meter.text));
            post({ type: "tokenizer-ready", ...loaded, ms: performance.now() - begin });
          });
        },
        (error) => {
          if (current === generation) post({ type: "tokenizer-failed", error: error.message ?? String(error) });
        },
      );
      return;
    }
    case "edit":
      if (meter) reading(data.seq, () => meter.edit(data.start, data.end, data.text));
      else pending = pending.slice(0, data.start) + data.text + pending.slice(data.end);
      return;
    case "set":
      if (meter) reading(data.seq, () => meter.setText(data.text));
      else pending = data.text;
      return;
    case "tier": {
      tier = data.tier;
      if (!meter) return;
      const text = meter.text;
      meter = preflight.meter(tier);
      meter.setText(text);
      if (!needsFull) meter.check();
      reading(data.seq, () => meter.reading);
      return;
    }
    case "checkText":
      if (needsFull) {
        await loadFull();
        post({ id: data.id, result: preflight.checkText(data.tier, data.text) });
      } else {
        // The meter's text is the newest: the page may have typed on.
        post({ id: data.id, result: meter.check() });
      }
      return;
    // The full module (file readers, prepare) is fetched the first time it
    // is needed, or earlier on the page's hint.
    case "preload":
      loadFull().catch(() => {});
      return;
    case "checkFile":
      await loadFull();
      post({ id: data.id, result: preflight.checkFile(data.tier, data.name, data.bytes, progressOf(data.id)) });
      return;
    // Preparing counts exactly, so it waits for the vocabulary (a failed
    // load ends up as the core's `tokenizer_not_loaded` error).
    case "prepareText":
      await loadFull();
      await tokenizer?.catch(() => {});
      post({ id: data.id, result: preflight.prepareText(data.tier, data.text, data.options, progressOf(data.id)) });
      return;
    case "prepareFile":
      await loadFull();
      await tokenizer?.catch(() => {});
      post({ id: data.id, result: preflight.prepareFile(data.tier, data.name, data.bytes, data.options, progressOf(data.id)) });
      return;
  }
}
