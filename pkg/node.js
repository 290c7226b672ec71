// Node entry: compiles both WebAssembly modules (the meter and the full
// one) and installs both tokenizer vocabularies synchronously from disk, so
// the exports are ready and counts are exact on import (no `await init()`
// or `loadFull()` needed). The same runtime as the
// browser's (`core.js`): files are read in their own instance, and a reader
// that crashes is replaced without affecting anything else.
import { readFileSync } from "node:fs";
import { initSync, installTokenizer } from "./core.js";
import { createGlue } from "./dist/prompt_preflight_factory.js";

const here = (file) => new URL(`./dist/${file}`, import.meta.url);
initSync({
  module: readFileSync(here("meter/prompt_preflight_bg.wasm")),
  full: readFileSync(here("prompt_preflight_bg.wasm")),
  fullGlue: createGlue,
});
for (const encoding of ["o200k_base", "cl100k_base"]) {
  installTokenizer(readFileSync(here(`${encoding}.bin`)));
}

export * from "./core.js";
export { default } from "./core.js";
export { loadTokenizer } from "./tokenizer.js";
export { ContractFetchError, ContractVersionError, fetchContract } from "./contracts.js";
