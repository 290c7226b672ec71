// Fetching one exact contract version from the server, cached by its ETag.
//
// The server answers `GET /v1/contracts/{id}/{version}` with the contract's
// JSON, a strong `ETag` and `Cache-Control: no-cache`: a copy may be kept,
// but must be confirmed before every use. So every call here revalidates
// (`If-None-Match`); a 304 serves the kept copy. A version the server no
// longer lists (404) or has retired (410) is dropped from the cache and
// refused with a `ContractVersionError`, and a copy is never served
// without the server's word unless the caller opts in (`offline:
// "cached"`): a network error or a 5xx throws a `ContractFetchError` by
// default, since the version may have been removed meanwhile.
//
// Plain `fetch` and JSON: nothing here needs the WebAssembly modules, so it
// works before `init()` (hand the contract to `new Preflight(...)` after).

/** The copies kept when the caller gives no cache: request URL → { etag, body }. */
const memory = new Map();

/** Prefix of the keys under which a Web Storage object (`localStorage`) keeps copies. */
const STORAGE_PREFIX = "prompt-preflight:contract:";

/**
 * The server no longer serves this version: it does not list it (404:
 * `unknown_contract_version`, or `unknown_contract` for the whole
 * contract) or has retired it (410: `contract_version_retired`, with its
 * `replacement` when there is one). The cached copy has been dropped.
 */
export class ContractVersionError extends Error {
  constructor({ code, status, message, hint, replacement, docs, id, version, url }) {
    super(message);
    this.name = "ContractVersionError";
    this.code = code;
    this.status = status;
    if (hint !== undefined) this.hint = hint;
    if (replacement !== undefined) this.replacement = replacement;
    if (docs !== undefined) this.docs = docs;
    this.id = id;
    this.version = version;
    this.url = url;
  }
}

/**
 * The server's current answer could not be had: a network error
 * (`network_error`, no `status`), a server error (5xx, the server's code
 * such as `internal` or `storage_unavailable`, else `server_error`), a
 * refusal that is not about the version (401, 403, 429: the server's code)
 * or an answer that is not the contract asked for (`bad_response`). The
 * cached copy, if any, is kept but not served (see `offline`).
 */
export class ContractFetchError extends Error {
  constructor({ code, status, message, hint, id, version, url, cause }) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ContractFetchError";
    this.code = code;
    if (status !== undefined) this.status = status;
    if (hint !== undefined) this.hint = hint;
    this.id = id;
    this.version = version;
    this.url = url;
  }
}

/**
 * Fetches contract `id` at the exact `version` (`1.1.0`) from the server
 * at `base` (`https://preflight.example`, or a path prefix before `/v1`;
 * `""` for the page's own origin in a browser), revalidating the kept copy
 * by its ETag on every call.
 *
 * Resolves with `{ contract, etag, source }`: `source` is `"network"` (a
 * 200: new or changed), `"cache"` (a 304: the kept copy is current) or,
 * only with `offline: "cached"`, `"offline"` (the server could not be
 * reached; `error` says why).
 *
 * Copies are kept under the request URL
 * (`${base}/v1/contracts/${encodeURIComponent(id)}/${encodeURIComponent(version)}`,
 * trailing slashes of `base` removed) as `{ etag, body }`, `body` being the
 * JSON text: in memory by default, or in `options.cache`, a `Map`-like
 * object (`get`, `set`, `delete`; may return promises) or a Web Storage
 * object (`localStorage`; keys prefixed `prompt-preflight:contract:`).
 *
 * @param {string | URL} base
 * @param {string} id
 * @param {string} version
 * @param {{ fetch?: typeof fetch, headers?: HeadersInit, cache?: object,
 *           offline?: "error" | "cached", signal?: AbortSignal }} [options]
 */
export async function fetchContract(base, id, version, options = {}) {
  if (typeof id !== "string" || id === "") throw new TypeError("fetchContract: `id` must be a contract id, e.g. \"customer-list\"");
  if (typeof version !== "string" || version === "") {
    throw new TypeError("fetchContract: `version` must be an exact version, e.g. \"1.1.0\"");
  }
  const { offline = "error", signal } = options;
  if (offline !== "error" && offline !== "cached") {
    throw new TypeError(`fetchContract: \`offline\` must be "error" or "cached", not ${JSON.stringify(offline)}`);
  }
  const fetchImpl = options.fetch ?? globalThis.fetch;
  if (typeof fetchImpl !== "function") throw new TypeError("fetchContract: no `fetch` here: pass one as `options.fetch`");
  const url = `${String(base).replace(/\/+$/, "")}/v1/contracts/${encodeURIComponent(id)}/${encodeURIComponent(version)}`;
  const store = cacheOf(options.cache);
  const about = { id, version, url };

  let cached = await store.get(url);
  for (;;) {
    const headers = new Headers(options.headers);
    headers.set("accept", "application/json");
    if (cached) headers.set("if-none-match", cached.etag);
    else headers.delete("if-none-match");

    let response;
    try {
      // Our own cache decides; the browser's HTTP cache stays out of it.
      response = await fetchImpl(url, { method: "GET", headers, cache: "no-store", ...(signal ? { signal } : {}) });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      const error = new ContractFetchError({
        ...about,
        code: "network_error",
        message: `could not reach the server for ${id} ${version} at ${url}: ${cause?.message ?? cause}`,
        cause,
      });
      return offlineCopy(cached, offline, error);
    }

    const status = response.status;
    if (status === 304) {
      const tag = response.headers.get("etag");
      if (cached && (tag === null || tag === cached.etag)) {
        return { contract: parse(cached.body, about), etag: cached.etag, source: "cache" };
      }
      if (cached) {
        // A 304 for another validator than ours: ask again for the whole.
        cached = null;
        continue;
      }
      throw new ContractFetchError({
        ...about,
        code: "bad_response",
        status,
        message: `the server answered 304 Not Modified for ${id} ${version}, but there is no kept copy to use`,
      });
    }

    if (status === 200) {
      let body;
      try {
        body = await response.text();
      } catch (cause) {
        if (signal?.aborted) throw cause;
        const error = new ContractFetchError({
          ...about,
          code: "network_error",
          status,
          message: `the connection broke while reading ${id} ${version} from ${url}: ${cause?.message ?? cause}`,
          cause,
        });
        return offlineCopy(cached, offline, error);
      }
      const contract = parse(body, about, status);
      if (contract.id !== id || contract.version !== version) {
        throw new ContractFetchError({
          ...about,
          code: "bad_response",
          status,
          message: `asked for ${id} ${version}, the server sent ${describe(contract)}`,
        });
      }
      const etag = response.headers.get("etag");
      if (etag) await store.set(url, { etag, body });
      else await store.delete(url);
      return { contract, etag, source: "network" };
    }

    const detail = await errorBody(response);
    if (status === 404 || status === 410) {
      await store.delete(url);
      throw new ContractVersionError({
        ...about,
        status,
        code: detail.code ?? (status === 410 ? "contract_version_retired" : "unknown_contract_version"),
        message: detail.message ?? `the server does not serve ${id} ${version} (HTTP ${status})`,
        hint: detail.hint,
        replacement: detail.replacement,
        docs: detail.docs,
      });
    }
    const error = new ContractFetchError({
      ...about,
      status,
      code: detail.code ?? (status >= 500 ? "server_error" : "http_error"),
      message: detail.message ?? `the server answered HTTP ${status} for ${id} ${version}`,
      hint: detail.hint,
    });
    if (status >= 500) return offlineCopy(cached, offline, error);
    throw error;
  }
}

/** The kept copy when the caller opted in to it, else the error. */
function offlineCopy(cached, offline, error) {
  if (offline !== "cached" || !cached) throw error;
  return { contract: parse(cached.body, error), etag: cached.etag, source: "offline", error };
}

/** A contract from JSON text: an object with an id and a version. */
function parse(body, { id, version, url }, status) {
  let value;
  try {
    value = JSON.parse(body);
  } catch (cause) {
    throw new ContractFetchError({ id, version, url, status, code: "bad_response", message: `the server's answer for ${id} ${version} is not JSON`, cause });
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new ContractFetchError({ id, version, url, status, code: "bad_response", message: `the server's answer for ${id} ${version} is not a contract` });
  }
  return value;
}

function describe(value) {
  return typeof value.id === "string" && typeof value.version === "string"
    ? `${value.id} ${value.version}`
    : "something that is not a contract";
}

/** The `error` object of the server's error body (`{ error: { code, message, hint, … } }`), or `{}`. */
async function errorBody(response) {
  try {
    const { error } = await response.json();
    if (!error || typeof error !== "object") return {};
    const pick = (field) => (typeof error[field] === "string" ? error[field] : undefined);
    return { code: pick("code"), message: pick("message"), hint: pick("hint"), replacement: pick("replacement"), docs: pick("docs") };
  } catch {
    return {};
  }
}

/** A kept copy as read back: `{ etag, body }` of strings, or nothing. */
function entry(value) {
  return value && typeof value === "object" && typeof value.etag === "string" && value.etag !== "" && typeof value.body === "string"
    ? { etag: value.etag, body: value.body }
    : null;
}

/** `options.cache` as `get`/`set`/`delete`, whatever kind of store it is. */
function cacheOf(cache) {
  if (cache === undefined || cache === null) cache = memory;
  if (typeof cache.getItem === "function" && typeof cache.setItem === "function" && typeof cache.removeItem === "function") {
    // Web Storage: strings only, shared with the page, and may refuse to write (quota, private mode).
    return {
      async get(key) {
        try {
          return entry(JSON.parse(cache.getItem(STORAGE_PREFIX + key) ?? "null"));
        } catch {
          return null;
        }
      },
      async set(key, value) {
        try {
          cache.setItem(STORAGE_PREFIX + key, JSON.stringify(value));
        } catch {
          // Not kept: the next call fetches it whole.
        }
      },
      async delete(key) {
        cache.removeItem(STORAGE_PREFIX + key);
      },
    };
  }
  if (typeof cache.get === "function" && typeof cache.set === "function" && typeof cache.delete === "function") {
    return {
      get: async (key) => entry(await cache.get(key)),
      set: async (key, value) => void (await cache.set(key, value)),
      delete: async (key) => void (await cache.delete(key)),
    };
  }
  throw new TypeError("fetchContract: `cache` must be a Map-like object (get, set, delete) or a Web Storage object (localStorage)");
}
