// Tidies the TypeScript declarations wasm-bindgen writes from the Rust
// types' doc comments (pkg/dist/prompt_preflight.d.ts): Rust examples and
// rustdoc links mean nothing to a JavaScript reader, so fenced code blocks
// are dropped and `[`name`](crate::path)` links become `name`.
import { readFileSync, writeFileSync } from "node:fs";

const [file] = process.argv.slice(2);
let dts = readFileSync(file, "utf8");
// A fenced block inside a JSDoc comment: lines " * ```" … " * ```".
dts = dts.replace(/^\s*\* ```[^\n]*\n(?:\s*\*(?! ```)[^\n]*\n)*?\s*\* ```\n/gm, "");
// A blank JSDoc line left just before the comment's end.
dts = dts.replace(/^\s*\*\n(\s*\*\/)/gm, "$1");
// Rustdoc links: [`Budget::issues`](crate::Budget::issues) → `Budget::issues`.
dts = dts.replace(/\[(`[^`\]]+`)\]\((?:crate|super|self)::[^()\s]*(?:\(\))?\)/g, "$1");
dts = dts.replace(/\[(`[^`\]]+`)\]/g, "$1");
if (/\bcrate::/.test(dts)) {
  console.error(`dts: a rustdoc path is left in ${file}`);
  process.exit(1);
}
writeFileSync(file, dts);
