// The package's runtime: one compiled WebAssembly module, instantiated more
// than once, so that a crash in a file reader can never take the rest down.
//
// - The *main* instance runs what a page does while the user types: the
//   meter, checks of typed text, token counts.
// - The *readers* instance runs everything that reads a file (checkFile,
//   prepareFile), with calamine, lopdf and the other third-party readers.
//
// The core checks files before its readers see them, so a reader should
// never crash; if one does, the browser build traps (it aborts on panic).
// Then this file reads, from the trapped instance's memory, which guarded
// reader call was running (the core's reader trace), drops that instance,
// starts a fresh one from the same compiled module and checks the file
// again there with that call replayed as failed: the report says
// `corrupt_file`, word for word as the server would, and no later call runs
// on the poisoned instance. The main instance is never touched.
import { createGlue } from "./dist/prompt_preflight_factory.js";

/** The most reader crashes one file may replay before it counts as a bug. */
const MAX_REPLAYS = 8;

let compiled = null;
let main = null;
let readers = null;
let traceAddress = 0;
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

/** A fresh copy of the glue on the compiled module, set up like the others. */
function instantiate() {
  const glue = createGlue();
  const exports = glue.initSync({ module: compiled });
  for (const bytes of vocabularies.values()) glue.installTokenizer(bytes);
  if (!prescans) glue.__setPrescans(false);
  // The reader-side objects made in this instance, to let go of after a trap.
  return { glue, exports, objects: new Set() };
}

function readersInstance() {
  ready();
  readers ??= instantiate();
  return readers;
}

/**
 * The guarded reader call that was running when `instance` trapped (0 when
 * the trap was outside every reader), read from its memory without calling
 * into it.
 */
function crashedCall(instance) {
  return new Uint32Array(instance.exports.memory.buffer, traceAddress, 2)[1];
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

/**
 * Sets the package up from a compiled `WebAssembly.Module` (or the module's
 * bytes), synchronously. Node's entry calls it; pages use `init()`.
 */
export function initSync(options) {
  if (main) return;
  const given = options?.module ?? options;
  compiled = given instanceof WebAssembly.Module ? given : new WebAssembly.Module(given);
  main = instantiate();
  traceAddress = main.glue.readerTraceAddress();
  PreflightMeter = main.glue.PreflightMeter;
}

/**
 * Fetches, compiles and sets up the module (once; later calls return at
 * once). `module_or_path` may be a URL, a `Response`, the bytes or a compiled
 * module; by default `dist/prompt_preflight_bg.wasm` next to this file.
 */
export default async function init(options) {
  if (main) return;
  let source = options?.module_or_path ?? options;
  source ??= new URL("./dist/prompt_preflight_bg.wasm", import.meta.url);
  if (typeof source === "string" || source instanceof URL) source = fetch(source);
  source = await source;
  let module;
  if (source instanceof WebAssembly.Module) {
    module = source;
  } else if (typeof Response === "function" && source instanceof Response) {
    if (!source.ok) throw new Error(`could not load the module: HTTP ${source.status} from ${source.url}`);
    module = await WebAssembly.compileStreaming(source).catch(async () =>
      WebAssembly.compile(await source.clone().arrayBuffer()),
    );
  } else {
    module = await WebAssembly.compile(source);
  }
  initSync({ module });
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

  /** Parses and validates a contract (TOML or JSON text). */
  constructor(source) {
    this.#core = new (ready().glue.Preflight)(source);
    this.#source = source;
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

  /** Checks typed text. */
  checkText(tier, text) {
    return this.#core.checkText(tier, text);
  }

  /** Prepares typed text (trim, keep the relevant parts, or split). */
  prepareText(tier, text, options) {
    return this.#core.prepareText(tier, text, options);
  }

  /** Checks a file's bytes; the name is only a hint. */
  checkFile(tier, name, bytes) {
    return this.#read(
      (pf) => pf.checkFile(tier, name, bytes),
      (pf, calls) => pf.checkFileAfterCrash(tier, name, bytes, calls),
    );
  }

  /** Prepares a file's bytes; the name is only a hint. */
  prepareFile(tier, name, bytes, options) {
    return this.#read(
      (pf) => pf.prepareFile(tier, name, bytes, options),
      (pf, calls) => pf.prepareFileAfterCrash(tier, name, bytes, options, calls),
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
  main?.glue.__setPrescans(enabled);
  readers?.glue.__setPrescans(enabled);
}
