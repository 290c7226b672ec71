// Loading a tokenizer vocabulary on demand, in the browser (or a worker).
//
// The code module carries no vocabulary: a page can check forms and files
// before the 0.8–1.6 MB vocabulary of its encoding has arrived. This fetches
// `dist/<encoding>.bin` next to the module (or `url`), reports progress,
// keeps a copy in the Cache API so the next visit loads it from disk, and
// installs it. Counts are exact from then on.
import { installTokenizer, tokenizerReady } from "./core.js";

const CACHE = "prompt-preflight-tokenizers-v1";
const pending = new Map();

/**
 * Fetches and installs the tokenizer for `encoding` once; later calls
 * return the same promise.
 *
 * @param {"o200k_base" | "cl100k_base"} encoding
 * `onProgress(loaded, total)` gets the bytes read so far and the size when
 * it is known (0 when the server compressed the file).
 *
 * @param {{ url?: string | URL, onProgress?: (loaded: number, total: number) => void,
 *           cache?: boolean }} [options]
 * @returns {Promise<{ encoding: string, bytes: number, source: "network" | "cache" | "installed" }>}
 */
export function loadTokenizer(encoding, options = {}) {
  if (tokenizerReady(encoding)) {
    return Promise.resolve({ encoding, bytes: 0, source: "installed" });
  }
  if (!pending.has(encoding)) {
    const promise = fetchAndInstall(encoding, options);
    promise.catch(() => pending.delete(encoding));
    pending.set(encoding, promise);
  }
  return pending.get(encoding);
}

async function fetchAndInstall(encoding, { url, onProgress, cache = true }) {
  const href = String(url ?? new URL(`./dist/${encoding}.bin`, import.meta.url));
  const store = cache && typeof caches !== "undefined" ? await caches.open(CACHE).catch(() => null) : null;
  let source = "cache";
  let response = store ? await store.match(href) : undefined;
  if (!response) {
    source = "network";
    response = await fetch(href);
    if (!response.ok) {
      throw new Error(`could not load the ${encoding} tokenizer: HTTP ${response.status} from ${href}`);
    }
    if (store) await store.put(href, response.clone()).catch(() => {});
  }
  const bytes = await readAll(response, onProgress);
  installTokenizer(bytes);
  return { encoding, bytes: bytes.length, source };
}

async function readAll(response, onProgress) {
  // A compressed response's length is not the length of what we read: then
  // the total is unknown (0) and only the bytes read are reported.
  const compressed = response.headers.has("content-encoding");
  const total = compressed ? 0 : Number(response.headers.get("content-length")) || 0;
  if (!response.body || !onProgress) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.(bytes.length, bytes.length);
    return bytes;
  }
  const reader = response.body.getReader();
  const chunks = [];
  let loaded = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    loaded += value.length;
    onProgress(loaded, total && Math.max(total, loaded));
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  onProgress(loaded, loaded);
  return bytes;
}
