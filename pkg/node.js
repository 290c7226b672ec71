// Node entry: loads the WebAssembly module synchronously from disk, so the
// exports are ready on import (no `await init()` needed). It only loads;
// every function comes unchanged from the generated browser build.
import { readFileSync } from "node:fs";
import { initSync } from "./dist/prompt_preflight.js";

initSync({ module: readFileSync(new URL("./dist/prompt_preflight_bg.wasm", import.meta.url)) });

export * from "./dist/prompt_preflight.js";
export { default } from "./dist/prompt_preflight.js";
