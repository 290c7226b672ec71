export * from "./dist/prompt_preflight.js";
export { loadTokenizer } from "./tokenizer.js";
import type { Contract } from "./dist/prompt_preflight.js";

/** What `init` accepts: a URL of the module, a `Response`, its bytes or a compiled module. */
export type InitInput = string | URL | Response | BufferSource | WebAssembly.Module;

/**
 * Fetches, compiles and sets up the small meter module once (by default
 * `dist/meter/prompt_preflight_bg.wasm` next to the package); later calls
 * return at once. Node's entry needs no call.
 */
export default function init(options?: { module_or_path?: InitInput | Promise<InitInput> } | InitInput): Promise<void>;

/** Sets the package up synchronously from the module's bytes or a compiled module. */
export function initSync(options: { module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module): void;

/**
 * Fetches and compiles the full module (file readers, prepare, chunking),
 * once; a page may call it early as a preload hint. `checkFile`,
 * `prepareFile` and `prepareText` need it (Node's entry loads it on import).
 * By default `dist/prompt_preflight_bg.wasm` next to the package.
 */
export function loadFull(options?: { module_or_path?: InitInput | Promise<InitInput> } | InitInput): Promise<void>;

/** Whether the full module is loaded, so files can be read at once. */
export function fullLoaded(): boolean;

/** How many times a file reader's crash has made the package replace the instance that reads files. */
export function readerRestarts(): number;

/** For tests only: the bytes of Wasm memory of the meter and the full instance. */
export function __memoryBytes(): { meter: number; full: number };

/** For tests only: lets files reach their readers without the core's pre-scans. */
export function __setPrescans(enabled: boolean): void;

/**
 * A kept copy of a contract version: its ETag and the JSON text the server
 * sent. What `fetchContract` stores in a `Map`-like `cache`, under the
 * request URL.
 */
export interface CachedContract {
  etag: string;
  body: string;
}

/**
 * Where `fetchContract` keeps copies: a `Map`-like object (`Map` itself,
 * or an adapter to IndexedDB; its methods may return promises) or a Web
 * Storage object such as `localStorage` (keys prefixed
 * `prompt-preflight:contract:`, values JSON).
 */
export type ContractCache =
  | {
      get(key: string): CachedContract | undefined | null | Promise<CachedContract | undefined | null>;
      set(key: string, value: CachedContract): unknown;
      delete(key: string): unknown;
    }
  | {
      getItem(key: string): string | null;
      setItem(key: string, value: string): void;
      removeItem(key: string): void;
    };

export interface FetchContractOptions {
  /** The fetch to use; `globalThis.fetch` by default. */
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Sent with the request, e.g. `{ authorization: "Bearer pp_…" }`. */
  headers?: HeadersInit;
  /** Where copies are kept; an in-memory `Map` shared by every call by default. */
  cache?: ContractCache;
  /**
   * What a network error or a 5xx does: `"error"` (the default) throws a
   * `ContractFetchError`, since the version may have been removed meanwhile;
   * `"cached"` serves the kept copy when there is one (`source: "offline"`).
   * A 404 or 410 always throws and drops the copy.
   */
  offline?: "error" | "cached";
  /** Aborts the request; an abort rejects with the signal's reason and is never served from the cache. */
  signal?: AbortSignal;
}

/** What `fetchContract` resolves with. */
export type FetchedContract =
  | {
      contract: Contract;
      /** The ETag the server sent; `null` when it sent none (then nothing is kept). */
      etag: string | null;
      /** `"network"`: a 200, new or changed; `"cache"`: a 304, the kept copy is current. */
      source: "network" | "cache";
    }
  | {
      contract: Contract;
      etag: string;
      /** Only with `offline: "cached"`: the server could not confirm the kept copy. */
      source: "offline";
      /** Why the server could not confirm it. */
      error: ContractFetchError;
    };

/**
 * Fetches contract `id` at the exact `version` (`"1.1.0"`) from
 * `GET {base}/v1/contracts/{id}/{version}`, keeping it by its ETag and
 * revalidating it on every call (`If-None-Match`; a 304 serves the kept
 * copy). A version the server no longer lists (404) or has retired (410)
 * is dropped from the cache and rejects with a `ContractVersionError`; a
 * network error or a 5xx rejects with a `ContractFetchError` unless
 * `offline: "cached"`. Needs no `init()`.
 */
export function fetchContract(base: string | URL, id: string, version: string, options?: FetchContractOptions): Promise<FetchedContract>;

/** The server no longer serves the version (404 or 410); its kept copy has been dropped. */
export class ContractVersionError extends Error {
  readonly name: "ContractVersionError";
  /** `unknown_contract_version`, `unknown_contract` (404) or `contract_version_retired` (410). */
  readonly code: "unknown_contract_version" | "unknown_contract" | "contract_version_retired" | (string & {});
  readonly status: 404 | 410;
  /** What to do, when the server says (the migration notes of a retired version). */
  readonly hint?: string;
  /** The version to move to, when a retired version has one (410). */
  readonly replacement?: string;
  /** The path of the replacement's documentation (`/docs/{id}/{replacement}`). */
  readonly docs?: string;
  readonly id: string;
  readonly version: string;
  readonly url: string;
}

/**
 * The server's answer could not be had or used: `network_error` (no
 * `status`), a 5xx (the server's code, e.g. `internal`,
 * `storage_unavailable`, else `server_error`), another refusal (the
 * server's code, e.g. `invalid_api_key`, else `http_error`), or
 * `bad_response` (not the contract asked for). The kept copy stays, unserved.
 */
export class ContractFetchError extends Error {
  readonly name: "ContractFetchError";
  readonly code: "network_error" | "server_error" | "http_error" | "bad_response" | (string & {});
  readonly status?: number;
  readonly hint?: string;
  readonly id: string;
  readonly version: string;
  readonly url: string;
}

declare module "./dist/prompt_preflight.js" {
  interface Preflight {
    /**
     * Whether `checkText` needs `loadFull()` first: the small meter module
     * does not detect languages, and this contract accepts only some.
     */
    readonly checkTextNeedsFull: boolean;
  }
}
