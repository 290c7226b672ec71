// All the Wasm work of the page, off the main thread: the live token meter
// (edits in, counts out), the full check of typed text, and dropped files.
// Typing never waits for it. It only relays: the core does the work.
import init, { Preflight } from "/pkg/browser.js";
import { loadTokenizer } from "/pkg/tokenizer.js";

let preflight = null;
let meter = null;
let tier;
// The text typed before the tokenizer arrived; the meter starts from it.
let pending = "";
// Messages are handled one at a time, in order.
let queue = Promise.resolve();

self.onmessage = ({ data }) => {
  queue = queue.then(() => handle(data)).catch((error) => {
    self.postMessage({ type: "error", id: data.id, error: error.message ?? String(error) });
  });
};

const post = (message) => self.postMessage(message);

/** The meter's reading, with how long the core took. */
function reading(seq, update) {
  const begin = performance.now();
  const result = update();
  post({ type: "meter", seq, reading: result, ms: performance.now() - begin });
}

async function handle(data) {
  switch (data.type) {
    case "start": {
      const begin = performance.now();
      await init();
      preflight = new Preflight(data.source);
      tier = data.tier;
      post({ type: "code-ready", ms: performance.now() - begin });
      // The vocabulary loads in the background; edits meanwhile go to `pending`.
      const encoding = preflight.encoding;
      loadTokenizer(encoding, {
        onProgress: (loaded, total) => post({ type: "progress", encoding, loaded, total }),
      }).then(
        (loaded) => {
          queue = queue.then(() => {
            meter = preflight.meter(tier);
            reading(-1, () => meter.setText(pending));
            pending = "";
            post({ type: "tokenizer-ready", ...loaded, ms: performance.now() - begin });
          });
        },
        (error) => post({ type: "tokenizer-failed", error: error.message ?? String(error) }),
      );
      return;
    }
    case "edit":
      if (meter) reading(data.seq, () => meter.edit(data.start, data.end, data.text));
      else pending = pending.slice(0, data.start) + data.text + pending.slice(data.end);
      return;
    case "set":
      if (meter) reading(data.seq, () => meter.setText(data.text));
      else pending = data.text;
      return;
    case "tier": {
      tier = data.tier;
      if (!meter) return;
      const text = meter.text;
      meter.free();
      meter = preflight.meter(tier);
      reading(data.seq, () => meter.setText(text));
      return;
    }
    case "checkText":
      post({ id: data.id, report: preflight.checkText(data.tier, data.text) });
      return;
    case "checkFile":
      post({ id: data.id, report: preflight.checkFile(data.tier, data.name, data.bytes) });
      return;
  }
}
