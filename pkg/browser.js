// Browser entry: call the default `init()` first, then use the exports;
// `loadTokenizer` fetches a vocabulary on demand, `fetchContract` a contract
// version (kept by its ETag, revalidated on every call: `contracts.js`).
// Files are read in their own instance, and a reader that crashes is
// replaced (see `core.js`).
export * from "./core.js";
export { default } from "./core.js";
export { loadTokenizer } from "./tokenizer.js";
export { ContractFetchError, ContractVersionError, fetchContract } from "./contracts.js";
