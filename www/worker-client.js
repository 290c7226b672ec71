// @ts-check
// Typed messages to the Web Worker that runs the Wasm core (worker.js), and
// the jobs it answers. Cancelling a long job ends the worker and starts a
// new one on the same contract, tier and text: Wasm cannot be interrupted
// inside a call, and a fresh worker is ready in a few milliseconds (the
// module and the vocabulary come from the caches).

/** @typedef {import("/pkg/index.js").Report} Report */
/** @typedef {import("/pkg/index.js").Prepared} Prepared */
/** @typedef {import("/pkg/index.js").PrepareOptions} PrepareOptions */
/** @typedef {import("/pkg/index.js").MeterReading} MeterReading */
/** @typedef {import("/pkg/index.js").Progress} Progress */

/**
 * What the page sends the worker.
 * @typedef {{ type: "start", source: string, tier: string | undefined, noPrescans: boolean, slowSteps: boolean }
 *   | { type: "edit", seq: number, start: number, end: number, text: string }
 *   | { type: "set", seq: number, text: string }
 *   | { type: "tier", seq: number, tier: string | undefined }
 *   | { type: "preload" }
 *   | { type: "checkText", id: number, tier: string | undefined, text: string }
 *   | { type: "checkFile", id: number, tier: string | undefined, name: string, bytes: Uint8Array }
 *   | { type: "prepareText", id: number, tier: string | undefined, text: string, options: PrepareOptions }
 *   | { type: "prepareFile", id: number, tier: string | undefined, name: string, bytes: Uint8Array, options: PrepareOptions }
 * } ToWorker
 */

/**
 * What the worker sends back. A `meter` message carries the live reading
 * and, once a full check of the text exists, that report brought up to
 * date with the reading by the core (`LiveCheck::report`).
 * @typedef {{ type: "code-ready", ms: number }
 *   | { type: "progress", encoding: string, loaded: number, total: number }
 *   | { type: "tokenizer-ready", source: string, bytes: number, ms: number }
 *   | { type: "tokenizer-failed", error: string }
 *   | { type: "meter", seq: number, reading: MeterReading, report: Report | null, ms: number }
 *   | { type: "job-progress", id: number, progress: Progress }
 *   | { type: "error", id?: number, error: string, code?: string }
 *   | { type?: undefined, id: number, result: any }
 * } FromWorker
 */

/** A job the worker refused or that was cancelled: `code` is the core's (or `cancelled`). */
export class JobError extends Error {
  /** @param {string} message @param {string | undefined} code */
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

/**
 * @typedef {{
 *   onMessage: (message: FromWorker) => void,
 *   text: () => string,
 *   noPrescans: boolean,
 *   slowSteps: boolean,
 * }} ClientOptions
 */

export class WorkerClient {
  /** @type {Worker} */
  #worker;
  #nextJob = 0;
  /** @type {Map<number, { resolve: (v: any) => void, reject: (e: Error) => void, onProgress?: (p: Progress) => void }>} */
  #jobs = new Map();
  /** @type {{ source: string, tier: string | undefined } | null} */
  #started = null;
  #seq = 0;
  #options;

  /** @param {ClientOptions} options */
  constructor(options) {
    this.#options = options;
    this.#worker = this.#spawn();
  }

  #spawn() {
    const worker = new Worker("/worker.js", { type: "module" });
    worker.onmessage = ({ data }) => this.#receive(/** @type {FromWorker} */ (data));
    return worker;
  }

  /** @param {FromWorker} data */
  #receive(data) {
    if (data.type === "job-progress") {
      this.#jobs.get(data.id)?.onProgress?.(data.progress);
      return;
    }
    if ("id" in data && data.id !== undefined) {
      const job = this.#jobs.get(data.id);
      this.#jobs.delete(data.id);
      if (!job) return;
      if (data.type === "error") job.reject(new JobError(data.error, data.code));
      else if ("result" in data) job.resolve(data.result);
      return;
    }
    this.#options.onMessage(data);
  }

  /** @param {ToWorker} message @param {Transferable[]} [transfer] */
  #post(message, transfer) {
    this.#worker.postMessage(message, transfer ?? []);
  }

  /** A new sequence number for a meter update: readings older than the one shown are dropped. */
  nextSeq() {
    return ++this.#seq;
  }

  /** Starts (or restarts) the checker and meter on a contract, with the text typed so far. */
  start(/** @type {string} */ source, /** @type {string | undefined} */ tier) {
    this.#started = { source, tier };
    const { noPrescans, slowSteps } = this.#options;
    this.#post({ type: "start", source, tier, noPrescans, slowSteps });
    this.#post({ type: "set", seq: this.nextSeq(), text: this.#options.text() });
  }

  /** An edit of the typed text (UTF-16 offsets into the text before it). */
  edit(/** @type {{ start: number, end: number, text: string }} */ edit) {
    const seq = this.nextSeq();
    this.#post({ type: "edit", seq, ...edit });
    return seq;
  }

  /** Another plan: the meter counts against its limit. */
  setTier(/** @type {string | undefined} */ tier) {
    if (this.#started) this.#started.tier = tier;
    this.#post({ type: "tier", seq: this.nextSeq(), tier });
  }

  /** Starts fetching the file readers' module, as a file may come. */
  preload() {
    this.#post({ type: "preload" });
  }

  /**
   * @template T
   * @param {ToWorker & { id: number }} message
   * @param {((p: Progress) => void) | undefined} onProgress
   * @param {Transferable[]} [transfer]
   * @returns {Promise<T>}
   */
  #job(message, onProgress, transfer) {
    return new Promise((resolve, reject) => {
      this.#jobs.set(message.id, { resolve, reject, onProgress });
      this.#post(message, transfer);
    });
  }

  /** The full check of typed text. @returns {Promise<Report>} */
  checkText(/** @type {string | undefined} */ tier, /** @type {string} */ text) {
    return this.#job({ type: "checkText", id: this.#nextJob++, tier, text }, undefined);
  }

  /**
   * Checks a file; `onProgress` hears each step. @returns {Promise<Report>}
   * @param {string | undefined} tier @param {string} name @param {Uint8Array} bytes
   * @param {(p: Progress) => void} [onProgress]
   */
  checkFile(tier, name, bytes, onProgress) {
    const copy = bytes.slice();
    return this.#job({ type: "checkFile", id: this.#nextJob++, tier, name, bytes: copy }, onProgress, [copy.buffer]);
  }

  /**
   * Prepares typed text or a file. @returns {Promise<Prepared>}
   * @param {string | undefined} tier
   * @param {{ text: string } | { name: string, bytes: Uint8Array }} input
   * @param {PrepareOptions} options
   * @param {(p: Progress) => void} [onProgress]
   */
  prepare(tier, input, options, onProgress) {
    const id = this.#nextJob++;
    if ("text" in input) return this.#job({ type: "prepareText", id, tier, text: input.text, options }, onProgress);
    const copy = input.bytes.slice();
    return this.#job({ type: "prepareFile", id, tier, name: input.name, bytes: copy, options }, onProgress, [copy.buffer]);
  }

  /**
   * Stops every running job: they reject with code `cancelled`, and a fresh
   * worker takes over the contract, plan and text.
   */
  cancel() {
    this.#worker.terminate();
    for (const job of this.#jobs.values()) job.reject(new JobError("Cancelled.", "cancelled"));
    this.#jobs.clear();
    this.#worker = this.#spawn();
    if (this.#started) this.start(this.#started.source, this.#started.tier);
  }
}
