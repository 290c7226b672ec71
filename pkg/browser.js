// Browser entry: the generated module (call its default `init()` first),
// plus `loadTokenizer` to fetch a vocabulary on demand.
export * from "./dist/prompt_preflight.js";
export { default } from "./dist/prompt_preflight.js";
export { loadTokenizer } from "./tokenizer.js";
