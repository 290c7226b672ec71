/** Fetches, caches and installs the tokenizer vocabulary for `encoding` (once). */
export function loadTokenizer(
  encoding: "o200k_base" | "cl100k_base",
  options?: {
    /** Where the vocabulary is; defaults to `dist/<encoding>.bin` next to the module. */
    url?: string | URL;
    /** Called as bytes arrive. */
    onProgress?: (loaded: number, total: number) => void;
    /** Keep a copy in the Cache API (default true). */
    cache?: boolean;
  },
): Promise<{ encoding: string; bytes: number; source: "network" | "cache" | "installed" }>;
