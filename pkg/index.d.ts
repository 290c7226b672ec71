export * from "./dist/prompt_preflight.js";
export { loadTokenizer } from "./tokenizer.js";

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

declare module "./dist/prompt_preflight.js" {
  interface Preflight {
    /**
     * Whether `checkText` needs `loadFull()` first: the small meter module
     * does not detect languages, and this contract accepts only some.
     */
    readonly checkTextNeedsFull: boolean;
  }
}
