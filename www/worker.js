// Checks dropped files off the main thread, so a large workbook never
// freezes the page. It only relays: the core (Wasm) does the work.
import init, { Preflight } from "/pkg/dist/prompt_preflight.js";

const ready = init();
let preflight = null;

self.onmessage = async ({ data }) => {
  await ready;
  try {
    if (data.type === "contract") {
      preflight = new Preflight(data.source);
      return;
    }
    if (data.type === "checkFile") {
      const report = preflight.checkFile(data.tier, data.name, data.bytes);
      self.postMessage({ id: data.id, report });
    }
  } catch (error) {
    self.postMessage({ id: data.id, error: error.message ?? String(error) });
  }
};
