// The package's runtime: two WebAssembly modules built from the one core,
// each instantiated as needed, so that a page's first download is small and
// a crash in a file reader can never take the rest down.
//
// - The *meter* module (`dist/meter/`, well under the full one) runs what a
//   page does while the user types: the contract, the meter, checks of
//   typed text, token counts. `init()` loads it.
// - The *full* module (`dist/`) adds the file readers (calamine, lopdf and
//   the other third-party readers), preparing and chunking. It is loaded
//   when first needed, or earlier with `loadFull()`; its instance reads
//   every file (checkFile, prepareFile) and prepares text.
//
// The core checks files before its readers see them, so a reader should
// never crash; if one does, the browser build traps (it aborts on panic).
// Then this file reads, from the trapped instance's memory, which guarded
// reader call was running (the core's reader trace), drops that instance,
// starts a fresh one from the same compiled module and checks the file
// again there with that call replayed as failed: the report says
// `corrupt_file`, word for word as the server would, and no later call runs
// on the poisoned instance. The meter's instance is never touched.
import { createGlue as createMeterGlue } from "./dist/meter/prompt_preflight_factory.js";

/** The most reader crashes one file may replay before it counts as a bug. */
const MAX_REPLAYS = 8;

let meterModule = null;
let fullModule = null;
/** The full module's glue factory, imported with it (not before). */
let createFullGlue = null;
let fullLoading = null;
let main = null;
let readers = null;
let prescans = true;
let restarts = 0;
/** Installed vocabularies by encoding, for instances started later. */
const vocabularies = new Map();

function ready() {
  if (!main) {
    throw new Error("prompt-preflight is not initialised yet: `await init()` first");
  }
  return main;
}

/** A fresh copy of a glue on its compiled module, set up like the others. */
function instantiate(createGlue, module) {
  const glue = createGlue();
  const exports = glue.initSync({ module });
  for (const bytes of vocabularies.values()) glue.installTokenizer(bytes);
  // The reader-side objects made in this instance, to let go of after a trap.
  return { glue, exports, objects: new Set() };
}

function readersInstance() {
  ready();
  if (!fullModule) {
    const error = new Error(
      "the part of prompt-preflight that reads files and prepares input is not loaded yet: `await loadFull()` first",
    );
    error.code = "full_module_not_loaded";
    throw error;
  }
  if (!readers) {
    readers = instantiate(createFullGlue, fullModule);
    readers.traceAddress = readers.glue.readerTraceAddress();
    if (!prescans) readers.glue.__setPrescans(false);
  }
  return readers;
}

/**
 * The guarded reader call that was running when `instance` trapped (0 when
 * the trap was outside every reader), read from its memory without calling
 * into it.
 */
function crashedCall(instance) {
  return new Uint32Array(instance.exports.memory.buffer, instance.traceAddress, 2)[1];
}

/** Drops a trapped readers instance; the next file gets a fresh one. */
function discard(instance) {
  // Unregister its objects from its finalizers, which would otherwise call
  // into the poisoned instance to free them later.
  for (const ref of instance.objects) ref.deref()?.__destroy_into_raw();
  instance.objects.clear();
  if (readers === instance) readers = null;
  restarts += 1;
}

const compile = (given) => (given instanceof WebAssembly.Module ? given : new WebAssembly.Module(given));

/**
 * Sets the package up synchronously from the meter module (`module`) and,
 * if given, the full module (`full`, with `fullGlue`, the `createGlue` of
 * `dist/prompt_preflight_factory.js`): compiled `WebAssembly.Module`s or
 * their bytes. Node's entry passes both; pages use `init()`.
 */
export function initSync(options) {
  if (main) return;
  const given = options?.module ?? options;
  meterModule = compile(given);
  if (options?.full) {
    if (!options.fullGlue) throw new Error("initSync: `full` needs `fullGlue`, the createGlue of dist/prompt_preflight_factory.js");
    createFullGlue = options.fullGlue;
    fullModule = compile(options.full);
  }
  main = instantiate(createMeterGlue, meterModule);
  PreflightMeter = main.glue.PreflightMeter;
}

/** A compiled module from a URL, a `Response`, bytes or a compiled module. */
async function load(source) {
  if (typeof source === "string" || source instanceof URL) source = fetch(source);
  source = await source;
  if (source instanceof WebAssembly.Module) return source;
  if (typeof Response === "function" && source instanceof Response) {
    if (!source.ok) throw new Error(`could not load the module: HTTP ${source.status} from ${source.url}`);
    return WebAssembly.compileStreaming(source).catch(async () => WebAssembly.compile(await source.clone().arrayBuffer()));
  }
  return WebAssembly.compile(source);
}

/**
 * Fetches, compiles and sets up the meter module (once; later calls return
 * at once). `module_or_path` may be a URL, a `Response`, the bytes or a
 * compiled module; by default `dist/meter/prompt_preflight_bg.wasm` next to
 * this file.
 */
export default async function init(options) {
  if (main) return;
  const source = options?.module_or_path ?? options ?? new URL("./dist/meter/prompt_preflight_bg.wasm", import.meta.url);
  const module = await load(source);
  initSync({ module });
}

/**
 * Fetches and compiles the full module (file readers, prepare, chunking),
 * once: a page may call it early as a preload hint, e.g. when the pointer
 * nears the file picker. `checkFile`, `prepareFile` and `prepareText` need
 * it. By default `dist/prompt_preflight_bg.wasm` next to this file.
 */
export function loadFull(options) {
  if (fullModule) return Promise.resolve();
  const source = options?.module_or_path ?? options ?? new URL("./dist/prompt_preflight_bg.wasm", import.meta.url);
  fullLoading ??= Promise.all([load(source), import("./dist/prompt_preflight_factory.js")])
    .then(([module, glue]) => {
      createFullGlue = glue.createGlue;
      fullModule = module;
    })
    .catch((error) => {
      fullLoading = null;
      throw error;
    });
  return fullLoading;
}

/** Whether the full module is loaded, so files can be read at once. */
export function fullLoaded() {
  return fullModule !== null;
}

/** The meter class of the main instance (made by `Preflight.meter`). */
export let PreflightMeter;

/**
 * A contract loaded for checking. The same methods as the core's, with files
 * read in the readers instance and recovered from a reader's crash.
 */
export class Preflight {
  #source;
  #core;
  #reader = null;
  #readerOf = null;

  /** Whether checking typed text needs the full module: the meter module
   * does not detect languages, and this contract accepts only some. */
  #needsFull;

  /**
   * Parses and validates a contract (JSON, or TOML). The meter module reads
   * JSON, as the server's `/v1/contracts/{id}` serves it; TOML is parsed by
   * the full module, so it needs `loadFull()` first in a browser (Node's
   * entry loads it on import).
   */
  constructor(source) {
    if (typeof source === "string" && !source.trimStart().startsWith("{")) {
      if (!fullModule) {
        const error = new Error(
          "this contract is TOML, which the small meter module does not read: give it as JSON (as the server's /v1/contracts/{id} sends it), or `await loadFull()` first",
        );
        error.code = "full_module_not_loaded";
        throw error;
      }
      const parsed = new (readersInstance().glue.Preflight)(source);
      source = JSON.stringify(parsed.contract);
      parsed.free();
    }
    this.#core = new (ready().glue.Preflight)(source);
    this.#source = source;
    this.#needsFull = !this.#core.checksTextFully;
  }

  /** Whether `checkText` needs `loadFull()` first (the contract accepts only some languages). */
  get checkTextNeedsFull() {
    return this.#needsFull;
  }

  /** The contract as a plain object. */
  get contract() {
    return this.#core.contract;
  }

  /** The encoding whose tokenizer this contract needs. */
  get encoding() {
    return this.#core.encoding;
  }

  /** A live token meter for text typed into this contract's template. */
  meter(tier) {
    return this.#core.meter(tier);
  }

  /**
   * Checks typed text. The meter module gives the same verdict as the
   * server, without the text's language; once the full module is loaded
   * (and for contracts that accept only some languages, which need it),
   * the report is the full one.
   */
  checkText(tier, text) {
    if (!fullModule && !this.#needsFull) return this.#core.checkText(tier, text);
    const run = (pf) => pf.checkText(tier, text);
    return this.#read(run, run);
  }

  /**
   * Prepares typed text (trim, keep the relevant parts, or split). Needs
   * `loadFull()`. `onProgress` is called with each step (`Progress`).
   */
  prepareText(tier, text, options, onProgress) {
    return this.#read(
      (pf) => pf.prepareText(tier, text, options, onProgress),
      (pf) => pf.prepareText(tier, text, options, onProgress),
    );
  }

  /**
   * Checks a file's bytes; the name is only a hint. Needs `loadFull()`.
   * `onProgress` is called with each step (`Progress`: "Reading sheet 2 of 3").
   */
  checkFile(tier, name, bytes, onProgress) {
    return this.#read(
      (pf) => pf.checkFile(tier, name, bytes, onProgress),
      (pf, calls) => pf.checkFileAfterCrash(tier, name, bytes, calls, onProgress),
    );
  }

  /** Prepares a file's bytes; the name is only a hint. Needs `loadFull()`. */
  prepareFile(tier, name, bytes, options, onProgress) {
    return this.#read(
      (pf) => pf.prepareFile(tier, name, bytes, options, onProgress),
      (pf, calls) => pf.prepareFileAfterCrash(tier, name, bytes, options, calls, onProgress),
    );
  }

  /** Releases the Wasm memory this contract holds. */
  free() {
    this.#core.free();
    if (this.#reader) {
      this.#readerOf.objects.delete(this.#readerRef);
      this.#reader.free();
    }
    this.#reader = null;
  }

  [Symbol.dispose]() {
    this.free();
  }

  #readerRef = null;

  /** This contract in the current readers instance. */
  #readerPreflight() {
    const instance = readersInstance();
    if (this.#readerOf !== instance) {
      this.#reader = new instance.glue.Preflight(this.#source);
      this.#readerRef = new WeakRef(this.#reader);
      // Forget the references whose objects are gone, so the set stays small.
      if (instance.objects.size >= 1024) {
        for (const ref of instance.objects) if (!ref.deref()) instance.objects.delete(ref);
      }
      instance.objects.add(this.#readerRef);
      this.#readerOf = instance;
    }
    return this.#reader;
  }

  /**
   * Runs `run` in the readers instance. After a trap inside a reader: a
   * fresh instance, and `replay` with the calls that crashed; a replay
   * that traps in a later reader call (the fallback for a crash may use
   * another reader) adds that call too.
   */
  #read(run, replay) {
    const calls = [];
    for (;;) {
      try {
        const pf = this.#readerPreflight();
        return calls.length === 0 ? run(pf) : replay(pf, Uint32Array.from(calls));
      } catch (error) {
        if (!(error instanceof WebAssembly.RuntimeError)) throw error;
        const trapped = this.#readerOf;
        const call = crashedCall(trapped);
        discard(trapped);
        if (call === 0 || calls.includes(call) || calls.length >= MAX_REPLAYS) {
          const internal = new Error(
            "prompt-preflight stopped on an internal error while reading this file; it has been restarted, " +
              "so other files can be checked. Please report the file.",
          );
          internal.code = "internal";
          internal.cause = error;
          throw internal;
        }
        calls.push(call);
      }
    }
  }
}

/**
 * Installs a tokenizer vocabulary (`o200k_base.bin`, `cl100k_base.bin`) in
 * every instance, now and later, and returns its encoding name.
 */
export function installTokenizer(bytes) {
  const encoding = ready().glue.installTokenizer(bytes);
  vocabularies.set(encoding, new Uint8Array(bytes));
  readers?.glue.installTokenizer(bytes);
  return encoding;
}

/** Whether the tokenizer for `encoding` is installed. */
export function tokenizerReady(encoding) {
  return ready().glue.tokenizerReady(encoding);
}

/** Counts the tokens of `text` with an encoding. */
export function countTokens(text, encoding) {
  return ready().glue.countTokens(text, encoding);
}

/** Whether `text` is within `limit` tokens, stopping as soon as that is known. */
export function withinTokenLimit(text, encoding, limit) {
  return ready().glue.withinTokenLimit(text, encoding, limit);
}

/** Every issue code with its severity, title, hint and example. */
export function catalogue() {
  return ready().glue.catalogue();
}

/**
 * For tests only: the bytes of Wasm memory each instance holds (memory
 * grows and never shrinks, so a leak shows as growth).
 */
export function __memoryBytes() {
  return { meter: main?.exports.memory.buffer.byteLength ?? 0, full: readers?.exports.memory.buffer.byteLength ?? 0 };
}

/** How many times a trapped readers instance has been replaced. */
export function readerRestarts() {
  return restarts;
}

/**
 * For tests only: turns the core's pre-scans off (or on) in every instance,
 * so that a file they would refuse reaches its reader and the recovery
 * above can be seen working on a real crash.
 */
export function __setPrescans(enabled) {
  prescans = enabled;
  readers?.glue.__setPrescans(enabled);
}
