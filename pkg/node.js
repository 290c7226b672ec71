// Node entry: loads the WebAssembly module and both tokenizer vocabularies
// synchronously from disk, so the exports are ready and counts are exact on
// import (no `await init()` needed). Every function comes unchanged from the
// generated browser build.
import { readFileSync } from "node:fs";
import { initSync, installTokenizer } from "./dist/prompt_preflight.js";

const here = (file) => new URL(`./dist/${file}`, import.meta.url);
initSync({ module: readFileSync(here("prompt_preflight_bg.wasm")) });
for (const encoding of ["o200k_base", "cl100k_base"]) {
  installTokenizer(readFileSync(here(`${encoding}.bin`)));
}

export * from "./dist/prompt_preflight.js";
export { default } from "./dist/prompt_preflight.js";
export { loadTokenizer } from "./tokenizer.js";
