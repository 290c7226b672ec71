// @ts-check
// The page's one store: the state, explicit updates, and the views that
// listen. A view renders from the state it is given; nothing else writes it.

/** @typedef {import("/pkg/index.js").Report} Report */
/** @typedef {import("/pkg/index.js").MeterReading} MeterReading */
/** @typedef {import("/pkg/index.js").Prepared} Prepared */
/** @typedef {import("/pkg/index.js").Progress} Progress */

/**
 * A contract as `/v1/contracts/{id}` returns it (the fields the page reads).
 * @typedef {{ id: string, version: string, description: string, model: { name: string },
 *   tiers: Record<string, { max_input_tokens: number }> }} ContractJson
 */

/** @typedef {{ id: string, description: string, default_tier: string }} ContractSummary */

/**
 * A prepared version of the input, from the browser's core, and what the
 * server said of it once uploaded.
 * @typedef {{
 *   state: "busy" | "done" | "failed" | "cancelled",
 *   mode: "trim" | "relevant" | "split",
 *   request: { contract: string, tier: string | undefined, question: string | undefined },
 *   prepared: Prepared | null,
 *   error: string | null,
 *   page: number,
 *   upload: null | { status: "sending" | "same" | "different" | "refused" | "error", message: string },
 * }} PreparedState
 */

/**
 * A long job in the worker (a file check or a prepare), for the progress bar.
 * @typedef {{ label: string, progress: Progress | null, startedAt: number }} Busy
 */

/**
 * One call to a model, as the server reports it.
 * @typedef {{ provider: string, model: string, step: string, class: string | null, latency_ms: number,
 *   usage: { input: number, output: number, counted_by_us?: boolean } }} RunAttempt
 */

/**
 * What the server said when the user pressed Send: the run as it goes
 * (`running`: a wait with its end, the parts answered, the answer so far),
 * then its end.
 * @typedef {{ status: "sending" | "running" | "answered" | "refused" | "failed" | "error", report: Report | null,
 *   payload: unknown, message: string, matchesBrowser: boolean | null, prepared: boolean,
 *   answer?: string, hint?: string, summary?: string, dryRun?: boolean, truncated?: boolean,
 *   output?: { ok: boolean, reason?: string, skipped?: string } | null,
 *   activity?: string, wait?: { message: string, until: number, ms: number } | null,
 *   parts?: { of: number, answered: number } | null, attempts?: RunAttempt[],
 *   queue?: { position: number } | null }} Sent
 */

/**
 * @typedef {{
 *   contracts: ContractSummary[],
 *   contract: ContractJson | null,
 *   tier: string | undefined,
 *   text: string,
 *   file: File | null,
 *   bytes: Uint8Array | null,
 *   reading: MeterReading | null,
 *   textReport: Report | null,
 *   fileReport: Report | null,
 *   fileError: string | null,
 *   tokenizer: "loading" | "ready" | "failed",
 *   loading: { loaded: number, total: number } | null,
 *   tokenizerError: string | null,
 *   busy: Busy | null,
 *   prepared: PreparedState | null,
 *   accepted: PreparedState | null,
 *   sent: Sent | null,
 *   startError: string | null,
 * }} State
 */

/** @type {State} */
export const initial = {
  contracts: [], contract: null, tier: undefined,
  text: "", file: null, bytes: null,
  reading: null, textReport: null, fileReport: null, fileError: null,
  tokenizer: "loading", loading: null, tokenizerError: null,
  busy: null, prepared: null, accepted: null, sent: null, startError: null,
};

/**
 * The store: `update` merges a patch (or the patch a function returns) and
 * tells every listener, once per update.
 * @param {State} state
 */
export function createStore(state) {
  /** @type {Set<(state: State, before: State) => void>} */
  const listeners = new Set();
  return {
    /** @returns {State} */
    get: () => state,
    /** @param {Partial<State> | ((state: State) => Partial<State>)} patch */
    update(patch) {
      const before = state;
      state = { ...state, ...(typeof patch === "function" ? patch(state) : patch) };
      for (const listener of listeners) listener(state, before);
    },
    /** @param {(state: State, before: State) => void} listener */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/** @typedef {ReturnType<typeof createStore>} Store */

/** The report on screen: the file's when a file is chosen, else the typed text's. */
export const currentReport = (/** @type {State} */ s) => (s.bytes ? s.fileReport : s.textReport);

/** Any change of the input (text, file, plan, task) drops what was prepared for the old one. */
export const inputChanged = { prepared: null, accepted: null, sent: null };
