// @ts-check
// The server's API, as the page uses it. Every call resolves with the
// parsed body and the status; a failed request throws `ApiError` with the
// error body's message (the server's documented `{error: {code, message}}`).

/** @typedef {import("/pkg/index.js").Report} Report */
/** @typedef {import("/pkg/index.js").Prepared} Prepared */
/** @typedef {import("./state.js").ContractJson} ContractJson */
/** @typedef {import("./state.js").ContractSummary} ContractSummary */

export class ApiError extends Error {
  /** @param {string} message @param {number} status @param {string | undefined} code */
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** @param {string} url @param {RequestInit} [init] */
async function call(url, init) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => null);
  return { status: response.status, ok: response.ok, body };
}

/** @param {string} url @param {RequestInit} [init] */
async function okJson(url, init) {
  const { status, ok, body } = await call(url, init);
  if (!ok) throw new ApiError(body?.error?.message ?? `${url} answered ${status}`, status, body?.error?.code);
  return body;
}

// The caller's API key, for the routes that need one (`/v1/run`, `/v1/me`).
// The check and prepare routes stay anonymous: they are a preview.
/** @type {string | null} */
let apiKey = null;

/** Uses `key` for the keyed routes from now on (`null`: none). @param {string | null} key */
export function setKey(key) {
  apiKey = key;
}

/** The key in use, if any. */
export const key = () => apiKey;

// Where the browser keeps the key the user gave, for the next visit (the
// web app and the operator page share it).
const KEY_STORAGE = "preflight-api-key";

/**
 * Uses the key saved in this browser, else the local demo key (a server
 * started with `--demo`, on this machine); resolves with it, or `null`.
 * @returns {Promise<string | null>}
 */
export async function restoreKey() {
  let saved = null;
  try {
    saved = localStorage.getItem(KEY_STORAGE);
  } catch {
    // Storage may be off: the key is asked for each visit.
  }
  saved ??= await demoKey().catch(() => null);
  setKey(saved);
  return saved;
}

/** Uses `key` and keeps it in this browser (`null`: forgets it). @param {string | null} key */
export function saveKey(key) {
  setKey(key);
  try {
    if (key) localStorage.setItem(KEY_STORAGE, key);
    else localStorage.removeItem(KEY_STORAGE);
  } catch {
    // Kept for this visit only.
  }
}

/** @returns {Record<string, string>} */
const keyed = () => (apiKey ? { authorization: `Bearer ${apiKey}` } : {});

/**
 * The local demo user's key, which a server started with `--demo` gives
 * the web app on the same machine; `null` anywhere else.
 * @returns {Promise<string | null>}
 */
export async function demoKey() {
  const { ok, body } = await call("/v1/demo");
  return ok && typeof body?.key === "string" ? body.key : null;
}

/**
 * Who the key belongs to, and their allowance on `contract`.
 * @param {string} contract
 * @returns {Promise<{ user: string, tier: string, admin: boolean, quota?: { counters: any[], warnings: string[] } }>}
 */
export const me = (contract) => okJson(`/v1/me?contract=${encodeURIComponent(contract)}`, { headers: keyed() });

/**
 * A job of the caller's (`GET /v1/jobs/{id}`): its status, position, ETA and,
 * once done, the result (the body `/v1/run` answers) and its status code.
 * @param {string} id
 * @param {AbortSignal} [signal]
 * @returns {Promise<{ id: string, status: string, position?: number, eta_ms?: number, status_code?: number, result?: any }>}
 */
export const job = (id, signal) => okJson(`/v1/jobs/${encodeURIComponent(id)}`, { headers: keyed(), signal });

/**
 * Usage over the last `days` days, from the records (`GET /v1/admin/usage`;
 * an operator key).
 * @param {number} days
 * @returns {Promise<import("./views/charts.js").UsageView>}
 */
export const adminUsage = (days) => okJson(`/v1/admin/usage?days=${days}`, { headers: keyed() });

/**
 * The queue now and over the last `minutes` (`GET /v1/admin/queue`; an
 * operator key).
 * @param {number} minutes
 * @returns {Promise<import("./views/charts.js").QueueView>}
 */
export const adminQueue = (minutes) => okJson(`/v1/admin/queue?minutes=${minutes}`, { headers: keyed() });

/** The contracts the server serves. @returns {Promise<ContractSummary[]>} */
export const contracts = () => okJson("/v1/contracts");

/** One contract in full. @param {string} id @returns {Promise<ContractJson>} */
export const contract = (id) => okJson(`/v1/contracts/${encodeURIComponent(id)}`);

/**
 * The server's check of typed text or a file: its report and, when the
 * input passes, the payload for the model.
 * @param {{ contract: string, tier: string | undefined, text?: string, file?: { name: string, bytes: Uint8Array } }} input
 * @returns {Promise<{ report: Report, payload: unknown }>}
 */
export function check(input) {
  if (input.file) {
    const form = new FormData();
    form.append("contract", input.contract);
    if (input.tier) form.append("tier", input.tier);
    form.append("file", new Blob([/** @type {BlobPart} */ (input.file.bytes)]), input.file.name);
    return okJson("/v1/check", { method: "POST", body: form });
  }
  return okJson("/v1/check", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ contract: input.contract, tier: input.tier, text: input.text }),
  });
}

/**
 * The server prepares what the browser prepared, as its final check: 200
 * with the parts, or 422 with the plan that says why not.
 * @param {{ contract: string, tier: string | undefined, mode: string, question: string | undefined,
 *   upload: { name: string | null, text: string } }} input
 * @returns {Promise<{ status: number, body: any }>}
 */
export async function prepare(input) {
  const { upload } = input;
  let init;
  if (upload.name !== null) {
    const form = new FormData();
    form.append("contract", input.contract);
    if (input.tier) form.append("tier", input.tier);
    form.append("mode", input.mode);
    if (input.question) form.append("question", input.question);
    form.append("file", new Blob([upload.text]), upload.name);
    init = { method: "POST", body: form };
  } else {
    // JSON keeps the text byte for byte (a form would turn its line breaks
    // into CRLF).
    init = {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        contract: input.contract, tier: input.tier, text: upload.text, mode: input.mode, question: input.question,
      }),
    };
  }
  const { status, ok, body } = await call("/v1/prepare", init);
  if (!ok && !(status === 422 && body?.plan)) {
    throw new ApiError(body?.error?.message ?? `the server answered ${status}`, status, body?.error?.code);
  }
  return { status, body };
}

/**
 * Runs the contract on the input (`POST /v1/run`) as a stream: the server
 * checks it again, then tells what happens as it happens. `onEvent` gets
 * each event (`attempt`, `waiting`, `fallback`, `part`, `delta`, then one
 * `done` or `error`). A refusal before the run (the check failed, a bad
 * request) resolves with its status and JSON body instead.
 * @param {{ contract: string, tier: string | undefined, text?: string, file?: { name: string, bytes: Uint8Array | string } }} input
 * @param {(name: string, data: any) => void} onEvent
 * @param {AbortSignal} [signal]
 * @returns {Promise<{ status: number, body: any | null }>}
 */
export async function run(input, onEvent, signal) {
  /** @type {RequestInit} */
  let init;
  /** @type {Record<string, string>} */
  const headers = { accept: "text/event-stream", ...keyed() };
  if (input.file) {
    const form = new FormData();
    form.append("contract", input.contract);
    if (input.tier) form.append("tier", input.tier);
    form.append("file", new Blob([/** @type {BlobPart} */ (input.file.bytes)]), input.file.name);
    init = { method: "POST", body: form, headers, signal };
  } else {
    init = {
      method: "POST",
      headers: { ...headers, "content-type": "application/json" },
      body: JSON.stringify({ contract: input.contract, tier: input.tier, text: input.text }),
      signal,
    };
  }
  const response = await fetch("/v1/run", init);
  const type = response.headers.get("content-type") ?? "";
  if (!type.startsWith("text/event-stream") || !response.body) {
    return { status: response.status, body: await response.json().catch(() => null) };
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let ended = false;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replaceAll("\r\n", "\n");
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event:")) name = line.slice(6).trim();
        else if (line.startsWith("data:")) data += line.slice(5).trimStart();
      }
      if (!data) continue;
      if (name === "done" || name === "error") ended = true;
      onEvent(name, JSON.parse(data));
    }
  }
  if (!ended) onEvent("error", { error: { code: "connection_lost", message: "The connection to the server was lost before the answer was complete.", hint: "Try again." } });
  return { status: response.status, body: null };
}
