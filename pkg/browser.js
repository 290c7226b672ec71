// Browser entry: call the default `init()` first, then use the exports;
// `loadTokenizer` fetches a vocabulary on demand. Files are read in their
// own instance, and a reader that crashes is replaced (see `core.js`).
export * from "./core.js";
export { default } from "./core.js";
export { loadTokenizer } from "./tokenizer.js";
