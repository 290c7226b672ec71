export * from "./dist/prompt_preflight.js";
export { default } from "./dist/prompt_preflight.js";
export { loadTokenizer } from "./tokenizer.js";
