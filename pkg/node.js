// Node entry: compiles the WebAssembly module and installs both tokenizer
// vocabularies synchronously from disk, so the exports are ready and counts
// are exact on import (no `await init()` needed). The same runtime as the
// browser's (`core.js`): files are read in their own instance, and a reader
// that crashes is replaced without affecting anything else.
import { readFileSync } from "node:fs";
import { initSync, installTokenizer } from "./core.js";

const here = (file) => new URL(`./dist/${file}`, import.meta.url);
initSync({ module: readFileSync(here("prompt_preflight_bg.wasm")) });
for (const encoding of ["o200k_base", "cl100k_base"]) {
  installTokenizer(readFileSync(here(`${encoding}.bin`)));
}

export * from "./core.js";
export { default } from "./core.js";
export { loadTokenizer } from "./tokenizer.js";
