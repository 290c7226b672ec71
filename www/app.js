// The web app's glue: it reads the page, asks the Wasm core (in a worker)
// and renders what the core returns. Every verdict and every message comes
// from the core (the same Rust code the server runs); nothing here decides
// what is valid.
//
// The main thread never runs Wasm: typing only computes what changed (an
// edit of a few characters) and posts it to the worker, whose meter
// recounts around the edit and posts the reading back.
//
// An input over the limit gets buttons for what the core can do about it
// (trim, keep the most relevant parts, split, a bigger plan). Preparing runs
// in the worker; only the prepared payload is uploaded, and the server
// prepares it again as its final check.

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat("en-US");
const usd = (n) => (n >= 0.01 ? `$${n.toFixed(2)}` : n >= 0.0001 ? `$${n.toFixed(4)}` : `$${n.toPrecision(2)}`);
// Figures read by the browser tests and benches.
const timings = (window.preflightTimings = {
  codeReadyMs: null, meterReadyMs: null, tokenizer: null, updates: [],
});

const app = {
  contracts: [], contract: null, contractSeq: 0,
  file: null, bytes: null, report: null, fileReport: null,
  reading: null, text: "", seq: 0, shownSeq: -1, inputTimes: new Map(), full: null,
  // Bumped whenever the input changes (text, file, plan, task): a prepared
  // result for an earlier input is dropped.
  version: 0, prepareSeq: 0, prepared: null,
};

const worker = new Worker("/worker.js", { type: "module" });
// `?testing=no-prescans` (browser tests only) lets files reach their readers
// without the core's pre-scans, to see the recovery from a reader's crash.
const noPrescans = new URLSearchParams(location.search).get("testing") === "no-prescans";
let nextJob = 0;
const jobs = new Map();
worker.onmessage = ({ data }) => {
  if (data.id !== undefined) {
    const job = jobs.get(data.id);
    jobs.delete(data.id);
    if (!job) return;
    if (data.error !== undefined) job.reject(Object.assign(new Error(data.error), { code: data.code }));
    else job.resolve(data.result);
    return;
  }
  switch (data.type) {
    case "code-ready":
      timings.codeReadyMs = performance.now();
      break;
    case "progress":
      renderLoading(data.loaded, data.total);
      break;
    case "tokenizer-ready":
      // Switching tasks reuses the vocabulary already in ("installed").
      if (!timings.tokenizer || data.source !== "installed") {
        timings.meterReadyMs = performance.now();
        timings.tokenizer = { source: data.source, bytes: data.bytes, workerMs: data.ms };
      }
      $("meter").dataset.ready = "true";
      break;
    case "tokenizer-failed":
      $("meter-count").textContent = `The token counter could not load: ${data.error}. Reload the page to try again.`;
      break;
    case "meter":
      onReading(data);
      break;
    case "error":
      console.error(data.error);
      break;
  }
};

/** Runs a job in the worker and resolves with its result. */
function job(message, transfer) {
  const id = nextJob++;
  return new Promise((resolve, reject) => {
    jobs.set(id, { resolve, reject });
    worker.postMessage({ ...message, id }, transfer ?? []);
  });
}

const SEVERITY_WORD = { error: "Error", warning: "Warning", info: "Note" };
const STATE_LABEL = { ok: "Within your plan", warn: "Close to your limit", over: "Over your limit" };
const SIZE_CODES = new Set(["over_token_limit", "near_token_limit", "token_count_estimated", "context_window_exceeded"]);

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

async function start() {
  try {
    const contracts = await getJson("/v1/contracts");
    if (contracts.length === 0) throw new Error("the server has no contracts");
    app.contracts = contracts;
    fillContracts(contracts);
    app.text = $("prompt").value;
    await useContract(contracts[0].id);
    // Typing works at once; the meter catches up when the tokenizer is in.
    $("prompt").disabled = false;
    $("tier").disabled = false;
    $("contract").disabled = false;
  } catch (error) {
    $("contract-description").textContent = `We could not start the checker: ${error.message}. Reload the page to try again.`;
    $("meter-count").textContent = "The token counter is not available.";
  }
}

/** "customer-list" → "Customer list". */
const taskName = (id) => {
  const words = id.replace(/[-_]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
};

function fillContracts(contracts) {
  const select = $("contract");
  select.replaceChildren();
  for (const [i, contract] of contracts.entries()) {
    const option = new Option(taskName(contract.id), contract.id);
    option.title = contract.description;
    option.selected = i === 0;
    select.add(option);
  }
}

/**
 * Loads a contract and (re)starts the worker's checker and meter on it,
 * then checks the current text or file again.
 */
async function useContract(id) {
  const seq = ++app.contractSeq;
  const summary = app.contracts.find((c) => c.id === id) ?? app.contracts[0];
  const contract = await getJson(`/v1/contracts/${encodeURIComponent(summary.id)}`);
  if (seq !== app.contractSeq) return; // another task was picked meanwhile
  const first = app.contract === null;
  app.contract = contract;
  fillTiers(contract, summary.default_tier);
  $("contract-description").textContent = contract.description;
  $("contract-id").textContent = `${contract.id} v${contract.version}`;
  inputChanged();
  app.full = null;
  if (!first) {
    // The meter reads again once the worker has the new contract.
    $("meter").dataset.ready = "false";
    $("meter").dataset.state = "loading";
    $("verdict").hidden = true;
  }
  worker.postMessage({ type: "start", source: JSON.stringify(contract), tier: tier(), noPrescans });
  worker.postMessage({ type: "set", seq: ++app.seq, text: app.text });
  if (app.bytes) checkFile();
  else scheduleFullCheck();
}

function fillTiers(contract, defaultTier) {
  const select = $("tier");
  select.replaceChildren();
  const tiers = Object.entries(contract.tiers).sort((a, b) => a[1].max_input_tokens - b[1].max_input_tokens);
  for (const [name, tier] of tiers) {
    const option = new Option(`${name} (${fmt.format(tier.max_input_tokens)} tokens per request)`, name);
    option.selected = name === defaultTier;
    select.add(option);
  }
}

const tier = () => $("tier").value || undefined;

// --- Typing: edits to the worker ------------------------------------------

const isHigh = (c) => c >= 0xd800 && c <= 0xdbff;
const isLow = (c) => c >= 0xdc00 && c <= 0xdfff;

/**
 * The edit that turns `a` into `b`, as UTF-16 offsets into `a`. The caret
 * positions before and after the change locate it in the usual cases
 * (typing, deleting, pasting), checked with two native string
 * comparisons; anything else falls back to scanning both ends.
 */
function diff(a, b, before, caret) {
  let start = Math.min(before?.start ?? 0, caret);
  let tail = b.length - caret;
  const plausible = before && start <= a.length - tail && tail >= 0
    && a.slice(0, start) === b.slice(0, start) && a.slice(a.length - tail) === b.slice(caret);
  if (!plausible) {
    const max = Math.min(a.length, b.length);
    start = 0;
    while (start < max && a.charCodeAt(start) === b.charCodeAt(start)) start++;
    tail = 0;
    while (tail < max - start && a.charCodeAt(a.length - 1 - tail) === b.charCodeAt(b.length - 1 - tail)) tail++;
  }
  // Never split a surrogate pair: the core counts whole characters.
  if (start > 0 && isHigh(a.charCodeAt(start - 1))) start--;
  if (tail > 0 && isLow(a.charCodeAt(a.length - tail))) tail--;
  return { start, end: a.length - tail, text: b.slice(start, b.length - tail) };
}

let selectionBefore = null;
$("prompt").addEventListener("beforeinput", (e) => {
  selectionBefore = { start: e.target.selectionStart, end: e.target.selectionEnd };
});

$("prompt").addEventListener("input", (event) => {
  const next = $("prompt").value;
  const edit = diff(app.text, next, selectionBefore, $("prompt").selectionEnd);
  selectionBefore = null;
  app.text = next;
  if (!app.bytes) inputChanged();
  const seq = ++app.seq;
  app.inputTimes.set(seq, event.timeStamp);
  worker.postMessage({ type: "edit", seq, ...edit });
  app.full = null;
  if (!app.bytes) renderSend();
  scheduleFullCheck();
});

/** A reading from the worker: the DOM is updated at once (a few text
 * nodes), and the browser paints it with the next frame. */
function onReading({ seq, reading, ms }) {
  timings.firstReadingMs ??= performance.now();
  if (seq !== -1 && seq < app.shownSeq) return;
  app.shownSeq = seq;
  app.reading = reading;
  const since = app.inputTimes.get(seq);
  app.inputTimes.delete(seq);
  if (!app.bytes) {
    renderMeter(reading.tokens, reading.issues);
    renderSend();
  }
  if (since !== undefined) {
    timings.updates.push({ meterMs: ms, sinceInputMs: performance.now() - since, length: app.text.length });
    if (timings.updates.length > 1000) timings.updates.shift();
  }
}

// --- The full check of typed text (language, emptiness, …), when idle ------

let fullTimer = null;
function scheduleFullCheck() {
  clearTimeout(fullTimer);
  const wait = app.text.length > 100_000 ? 600 : 200;
  fullTimer = setTimeout(() => fullCheck(), wait);
}

/** Checks the typed text in full; resolves with the report for `app.text`. */
async function fullCheck() {
  if (app.bytes || !app.contract) return null;
  const text = app.text;
  const report = await job({ type: "checkText", tier: tier(), text });
  if (text !== app.text || app.bytes) return null; // typing went on meanwhile
  app.full = report;
  app.report = report;
  renderReport(report);
  renderSend();
  return report;
}

// --- Rendering --------------------------------------------------------------

/** The vocabulary's download, shown under the estimate until it is in. */
let loading = "Loading the exact token counter…";
function renderLoading(loaded, total) {
  const kb = (n) => `${fmt.format(Math.round(n / 1024))} KB`;
  loading = total
    ? `Loading the exact token counter… ${Math.round((loaded / total) * 100)}% of ${kb(total)}`
    : `Loading the exact token counter… ${kb(loaded)}`;
  if (app.reading && !app.reading.tokens.exact) $("meter-cost").textContent = loading;
}

function renderMeter(tokens, issues) {
  const { input, limit, state, exact } = tokens;
  const meter = $("meter");
  meter.dataset.state = state;
  $("meter-fill").style.width = `${Math.min(100, (input / limit) * 100)}%`;
  // Until the vocabulary is in, the count is an estimate, and says so.
  meter.dataset.exact = String(exact);
  const about = exact ? "" : "about ";
  $("meter-count").textContent = `${about}${fmt.format(input)} / ${fmt.format(limit)} tokens`;
  $("meter-state").textContent = STATE_LABEL[state];
  $("meter-cost").textContent = !exact
    ? loading
    : `${fmt.format(tokens.total)} tokens in all with the instructions (${fmt.format(tokens.overhead)}) and room for a ${fmt.format(tokens.output_reserved)}-token answer · at most ${usd(tokens.cost.total_usd_max)} on ${tokens.model} (prices of ${tokens.cost.prices_as_of})`;
  const limitIssue = issues.find((i) => i.code === "over_token_limit" || i.code === "near_token_limit" || i.code === "context_window_exceeded");
  $("meter-message").textContent = limitIssue ? `${limitIssue.message} ${limitIssue.hint}` : "";
  renderActions(limitIssue?.actions ?? []);
}

/** What each action's button says and does. */
const ACTIONS = {
  trim: {
    label: () => "Trim what isn't needed",
    title: "Remove what this task doesn't use: extra columns, blank and duplicate rows, repeated headers and footers, extra spaces.",
    run: () => runPrepare({ mode: "trim" }),
  },
  keep_relevant: {
    label: () => "Keep the most relevant parts",
    title: "Tell us what you want to find out, and we keep the parts of your input that match it best.",
    run: () => {
      $("relevant-box").hidden = false;
      $("meter-actions").querySelector('[data-action="keep_relevant"]')?.setAttribute("aria-expanded", "true");
      $("question").focus();
    },
  },
  split: {
    // `parts` is a lower bound (chunks end at boundaries, so are not all full).
    label: (a) => `Split into about ${fmt.format(a.parts)} parts`,
    title: "Send it in parts that each fit; each part gets an answer, then one more request combines them.",
    run: () => runPrepare({ mode: "split" }),
  },
  upgrade: {
    label: (a) => `Use the ${a.tier} plan (${fmt.format(a.max_input_tokens)} tokens)`,
    title: "Switch to a plan with a higher limit.",
    run: (a) => {
      $("tier").value = a.tier;
      $("tier").dispatchEvent(new Event("change"));
    },
  },
};

/** Buttons for what the product can do about an over-limit input. */
function renderActions(actions) {
  const box = $("meter-actions");
  box.replaceChildren();
  for (const action of actions) {
    const spec = ACTIONS[action.kind];
    if (!spec) continue; // an action this page does not know yet
    const button = Object.assign(document.createElement("button"), {
      type: "button",
      className: "secondary",
      textContent: spec.label(action),
      title: spec.title,
    });
    button.dataset.action = action.kind;
    if (action.kind === "keep_relevant") {
      button.setAttribute("aria-controls", "relevant-box");
      button.setAttribute("aria-expanded", String(!$("relevant-box").hidden));
    }
    button.addEventListener("click", () => spec.run(action));
    box.append(button);
  }
  if (!actions.some((a) => a.kind === "keep_relevant")) $("relevant-box").hidden = true;
}

/** A size as people read it: "512 bytes", "1.5 KB", "20 MB" (as the core words sizes). */
function humanSize(bytes) {
  if (bytes < 1024) return bytes === 1 ? "1 byte" : `${fmt.format(bytes)} bytes`;
  const units = ["KB", "MB", "GB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit + 1 < units.length) {
    value /= 1024;
    unit += 1;
  }
  const shown = value < 10 ? value.toFixed(1).replace(/\.0$/, "") : value.toFixed(0);
  return `${shown} ${units[unit]}`;
}

function describeKind(input) {
  const names = {
    csv: "Table (delimited text)", text: "Plain text", xlsx: "Excel workbook (.xlsx)", xls: "Excel 97-2003 workbook (.xls)",
    xlsb: "Excel binary workbook (.xlsb)", ods: "OpenDocument spreadsheet (.ods)", json: "JSON", jsonl: "JSON Lines",
    pdf: "PDF document", unsupported: "Not readable",
  };
  return names[input.kind] ?? input.kind;
}

function describeSheets(input) {
  return input.sheets
    .map((s) => {
      const notes = [`${fmt.format(s.rows)} × ${fmt.format(s.columns)}`];
      if (!s.visible) notes.push("hidden");
      if (s.merged.length) notes.push(`merged ${s.merged.slice(0, 3).join(", ")}${s.merged.length > 3 ? "…" : ""}`);
      if (s.error_cells.length) notes.push(`${s.error_cells.length} error cell${s.error_cells.length === 1 ? "" : "s"}`);
      const used = s.name === input.selected_sheet ? " (used)" : "";
      return `${s.name}${used}: ${notes.join(", ")}`;
    })
    .join("; ");
}

function renderReport(report) {
  const section = $("report");
  const shownIssues = report.issues.filter((i) => !SIZE_CODES.has(i.code) && !(i.code === "empty_input" && !app.bytes));
  section.hidden = !app.bytes && shownIssues.length === 0;
  if (section.hidden) return;
  const facts = $("report-facts");
  facts.replaceChildren();
  const input = report.input;
  const fact = (term, value) => {
    if (value === undefined || value === null) return;
    facts.append(Object.assign(document.createElement("dt"), { textContent: term }));
    facts.append(Object.assign(document.createElement("dd"), { textContent: String(value) }));
  };
  if (app.bytes) {
    $("report-title").textContent = `Check of ${app.file.name}`;
    fact("Format", describeKind(input));
    fact("Size", humanSize(input.bytes));
    if (input.encoding !== "binary") fact("Character set", input.encoding);
    if (input.bom) fact("Byte-order mark", input.bom);
    if (input.line_ending) fact("Line endings", input.line_ending.toUpperCase());
    if (input.language) fact("Language", input.language_name ?? input.language);
    if (input.sheets) fact("Sheets", describeSheets(input));
    if (input.pages !== undefined) fact("Pages", fmt.format(input.pages));
    if (input.pages_without_text?.length) fact("Pages without text", input.pages_without_text.join(", "));
    if (input.encrypted) fact("Encrypted", "yes");
    if (input.delimiter_name) {
      const visible = input.delimiter !== "\t" && input.delimiter !== " ";
      fact("Separator", visible ? `${input.delimiter_name} (${input.delimiter})` : input.delimiter_name);
    }
    if (input.rows !== undefined) fact("Rows", fmt.format(input.rows));
    if (input.columns !== undefined) fact("Columns", fmt.format(input.columns));
    if (input.headers) fact("Column names", input.headers.join(", "));
  } else {
    $("report-title").textContent = "Check of your text";
  }
  renderIssues($("issues"), shownIssues, "No problems found.");
}

function whereText(at) {
  if (!at) return "";
  const parts = [];
  if (at.sheet) parts.push(`sheet '${at.sheet}'`);
  if (at.row) parts.push(`row ${fmt.format(at.row)}`);
  if (at.column) parts.push(`column '${at.column}'`);
  if (at.line) parts.push(`line ${fmt.format(at.line)}`);
  return parts.join(", ");
}

function renderIssues(list, issues, emptyText) {
  list.replaceChildren();
  if (issues.length === 0) {
    list.append(Object.assign(document.createElement("li"), { className: "none", textContent: emptyText }));
    return;
  }
  for (const issue of issues) {
    const item = document.createElement("li");
    item.className = issue.severity;
    item.dataset.code = issue.code;
    const head = document.createElement("div");
    // The severity in words, beside its colour, for people who do not see colour.
    head.append(Object.assign(document.createElement("span"), { className: "severity", textContent: `${SEVERITY_WORD[issue.severity] ?? issue.severity}: ` }));
    head.append(Object.assign(document.createElement("strong"), { textContent: issue.message }));
    const where = whereText(issue.at);
    if (where) head.append(" ", Object.assign(document.createElement("span"), { className: "where", textContent: `(${where})` }));
    item.append(head);
    item.append(Object.assign(document.createElement("p"), { className: "hint", textContent: `What to do: ${issue.hint}` }));
    if (issue.example) item.append(Object.assign(document.createElement("pre"), { textContent: issue.example }));
    list.append(item);
  }
}

/** Enables Send when nothing blocks it, and says why when something does. */
function renderSend() {
  const send = $("send");
  let errors;
  let over;
  if (app.bytes) {
    const report = app.fileReport;
    errors = report ? report.issues.filter((i) => i.severity === "error") : [{ code: "checking" }];
    over = report?.tokens.state === "over";
  } else {
    // Size from the live meter; everything else from the last full check.
    const others = (app.full ?? app.report)?.issues.filter((i) => i.severity === "error" && !SIZE_CODES.has(i.code)) ?? [];
    const empty = app.text.length === 0;
    errors = [...others.filter((i) => i.code !== "empty_input" || empty), ...(app.reading?.issues.filter((i) => i.severity === "error") ?? [])];
    if (empty && !errors.some((i) => i.code === "empty_input")) errors.push({ code: "empty_input" });
    over = app.reading?.tokens.state === "over";
  }
  send.disabled = errors.length > 0;
  if (over) {
    $("send-note").textContent = "Over your plan's limit: use one of the options above, or shorten the input before sending.";
  } else if (errors.some((i) => i.code === "checking")) {
    $("send-note").textContent = "Checking your file…";
  } else if (errors.some((i) => i.code === "empty_input")) {
    $("send-note").textContent = "Type some text or choose a file first.";
  } else if (errors.length > 0) {
    $("send-note").textContent = `Fix the ${errors.length === 1 ? "problem" : `${errors.length} problems`} above before sending.`;
  } else {
    $("send-note").textContent = "Your input passed the check in your browser. The server checks it again.";
  }
}

async function send() {
  $("send").disabled = true;
  $("send-note").textContent = "Sending…";
  let response;
  let local;
  try {
    if (app.bytes) {
      local = app.fileReport;
      const form = new FormData();
      form.append("contract", app.contract.id);
      if (tier()) form.append("tier", tier());
      form.append("file", new Blob([app.bytes]), app.file.name);
      response = await fetch("/v1/check", { method: "POST", body: form });
    } else {
      // The browser's verdict on exactly the text being sent.
      clearTimeout(fullTimer);
      local = app.full ?? (await fullCheck());
      if (!local) return;
      if (!local.ok) return;
      response = await fetch("/v1/check", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ contract: app.contract.id, tier: tier(), text: app.text }),
      });
    }
    const body = await response.json();
    if (!response.ok) throw new Error(body.error?.message ?? `the server answered ${response.status}`);
    renderVerdict(body, local);
  } catch (error) {
    renderVerdict(null, local, error);
  } finally {
    renderSend();
  }
}

function renderVerdict(body, local, error) {
  const section = $("verdict");
  section.hidden = false;
  const payloadBox = $("payload-box");
  if (error) {
    section.dataset.ok = "false";
    $("verdict-title").textContent = `We could not reach the server: ${error.message}`;
    $("verdict-issues").replaceChildren();
    payloadBox.hidden = true;
    return;
  }
  const { report, payload } = body;
  section.dataset.ok = String(report.ok);
  const same = JSON.stringify(report) === JSON.stringify(local);
  const errors = report.issues.filter((i) => i.severity === "error").length;
  $("verdict-title").textContent = report.ok
    ? `Accepted: the server checked your input (${fmt.format(report.tokens.input)} tokens${report.tokens.counted_by ? `, counted by ${report.tokens.counted_by}` : ""}) and it is ready for the model.`
    : `Refused: the server found ${errors === 1 ? "a problem" : `${errors} problems`}.`;
  section.dataset.matchesBrowser = String(same);
  renderIssues($("verdict-issues"), report.issues.filter((i) => i.severity !== "info"), "No problems found.");
  payloadBox.hidden = !payload;
  $("payload").textContent = payload ? JSON.stringify(payload, null, 2) : "";
}

// --- Preparing an over-limit input: trim, keep the most relevant, split ------

/** The input changed: what was prepared for the old one no longer applies. */
function inputChanged() {
  app.version++;
  app.prepared = null;
  $("prepared").hidden = true;
  $("prepared-verdict").hidden = true;
}

const PLAN_TITLE = {
  trim: "Trimmed to what this task needs",
  relevant: "Kept the parts that match your question",
  split: "Split into parts that each fit",
};

function runRelevant() {
  runPrepare({ mode: "relevant", question: $("question").value.trim() });
}

/** Prepares the current text or file in the worker and shows the result. */
async function runPrepare({ mode, question }) {
  if (!app.contract) return;
  const version = app.version;
  const seq = ++app.prepareSeq;
  const request = { contract: app.contract.id, tier: tier(), mode, question: mode === "relevant" && question ? question : undefined };
  const options = { mode };
  if (request.question) options.question = request.question;
  app.prepared = null;
  const section = $("prepared");
  section.hidden = false;
  section.dataset.state = "busy";
  section.dataset.mode = mode;
  delete section.dataset.ok;
  delete section.dataset.plan;
  $("prepared-title").textContent = PLAN_TITLE[mode];
  $("prepared-summary").textContent = app.bytes ? `Preparing ${app.file.name}…` : "Preparing your text…";
  for (const id of ["prepared-steps", "prepared-issues", "prepared-parts"]) $(id).replaceChildren();
  $("prepared-plan").textContent = "";
  $("prepared-verdict").hidden = true;
  $("upload-prepared").disabled = true;
  try {
    let prepared;
    if (app.bytes) {
      const bytes = app.bytes.slice();
      prepared = await job({ type: "prepareFile", tier: request.tier, name: app.file.name, bytes, options }, [bytes.buffer]);
    } else {
      prepared = await job({ type: "prepareText", tier: request.tier, text: app.text, options });
    }
    if (version !== app.version || seq !== app.prepareSeq) return; // the input changed meanwhile
    app.prepared = { ...request, prepared };
    renderPrepared(prepared);
  } catch (error) {
    if (version !== app.version || seq !== app.prepareSeq) return;
    section.dataset.state = "failed";
    $("prepared-summary").textContent = error.code === "tokenizer_not_loaded"
      ? "The token counter has not loaded, so we cannot prepare your input. Reload the page to try again."
      : `We could not prepare your input: ${error.message}`;
  }
}

/** Where a table part starts and ends, as the user counts rows. */
function partRows(part) {
  const row = (at) => at?.row ?? at?.line;
  const first = row(part.first_row);
  const last = row(part.last_row);
  if (first === undefined) return "";
  const sheet = part.first_row.sheet ? ` of sheet '${part.first_row.sheet}'` : "";
  return first === last ? ` · row ${fmt.format(first)}${sheet}` : ` · rows ${fmt.format(first)}–${fmt.format(last)}${sheet}`;
}

const PREVIEW_CHARS = 20_000;

function renderPrepared(prepared) {
  const section = $("prepared");
  section.dataset.state = "done";
  section.dataset.ok = String(prepared.ok);
  section.dataset.plan = prepared.plan.kind;
  if (!prepared.ok) $("prepared-title").textContent = "This can't be sent yet";
  const { manifest, plan } = prepared;
  $("prepared-summary").textContent = manifest.summary;

  const steps = $("prepared-steps");
  steps.replaceChildren();
  for (const step of manifest.steps) {
    const item = document.createElement("li");
    item.dataset.kind = step.kind;
    item.append(Object.assign(document.createElement("span"), { textContent: step.message }));
    // What was left out, so that nothing disappears silently (the column
    // names are in the message already).
    const items = step.kind === "columns_removed" || step.kind === "reformatted" ? [] : step.items ?? [];
    // Boilerplate lists the distinct lines and, separately, where they were:
    // the two lists do not pair up, so only the lines are shown.
    const at = step.kind === "boilerplate_removed" ? [] : step.at ?? [];
    const listed = items.length || at.length;
    if (listed) {
      const details = document.createElement("details");
      const what = step.kind === "sections_omitted" ? "What was left out" : "Where";
      details.append(Object.assign(document.createElement("summary"), { textContent: what }));
      const list = Object.assign(document.createElement("ul"), { className: "step-items" });
      for (let i = 0; i < listed; i++) {
        const where = whereText(at[i]);
        const text = items[i] ?? "";
        list.append(Object.assign(document.createElement("li"), {
          textContent: where && text ? `${where}: ${text}` : where || text,
        }));
      }
      if (step.count > listed) {
        list.append(Object.assign(document.createElement("li"), {
          className: "muted", textContent: `…and ${fmt.format(step.count - listed)} more`,
        }));
      }
      details.append(list);
      item.append(details);
    }
    steps.append(item);
  }

  const planBox = $("prepared-plan");
  planBox.dataset.kind = plan.kind;
  planBox.textContent = plan.kind === "refuse" && plan.reason
    ? `This can't be sent as it is: ${plan.reason}`
    : plan.message;
  // Problems other than the size (the plan speaks to that), if any.
  const issues = prepared.issues.filter((i) => i.severity !== "info" && !SIZE_CODES.has(i.code));
  if (issues.length) renderIssues($("prepared-issues"), issues, "");
  else $("prepared-issues").replaceChildren();

  const parts = $("prepared-parts");
  parts.replaceChildren();
  for (const [i, part] of prepared.parts.entries()) {
    const item = document.createElement("li");
    item.className = "part";
    item.dataset.tokens = String(part.tokens);
    const of = prepared.parts.length > 1 ? ` of ${prepared.parts.length}` : "";
    item.append(Object.assign(document.createElement("strong"), {
      className: "part-title",
      textContent: `Part ${i + 1}${of} · ${fmt.format(part.tokens)} tokens${partRows(part)}`,
    }));
    const details = document.createElement("details");
    details.append(Object.assign(document.createElement("summary"), { textContent: "Show what goes to the model" }));
    const shown = part.content.length > PREVIEW_CHARS
      ? `${part.content.slice(0, PREVIEW_CHARS)}\n… (${fmt.format(part.content.length - PREVIEW_CHARS)} more characters)`
      : part.content;
    details.append(Object.assign(document.createElement("pre"), { className: "part-content", textContent: shown }));
    item.append(details);
    parts.append(item);
  }
  $("upload-prepared").disabled = !prepared.ok;
}

/** The browser and the server prepared the same payload. */
const sameParts = (a, b) =>
  a.length === b.length && a.every((p, i) => p.content === b[i].content && p.tokens === b[i].tokens);

/**
 * Uploads only the prepared payload (never the original), with the same
 * mode and question; the server prepares it again as its final check.
 */
async function uploadPrepared() {
  const current = app.prepared;
  if (!current?.prepared.ok) return;
  const { prepared } = current;
  const button = $("upload-prepared");
  const verdict = $("prepared-verdict");
  button.disabled = true;
  verdict.hidden = false;
  verdict.dataset.status = "sending";
  verdict.textContent = "Uploading the prepared input…";
  try {
    let response;
    if (prepared.upload.name !== null) {
      const form = new FormData();
      form.append("contract", current.contract);
      if (current.tier) form.append("tier", current.tier);
      form.append("mode", prepared.mode);
      if (current.question) form.append("question", current.question);
      form.append("file", new Blob([prepared.upload.text]), prepared.upload.name);
      response = await fetch("/v1/prepare", { method: "POST", body: form });
    } else {
      // JSON keeps the text byte for byte (a form would turn its line
      // breaks into CRLF).
      response = await fetch("/v1/prepare", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          contract: current.contract, tier: current.tier, text: prepared.upload.text,
          mode: prepared.mode, question: current.question,
        }),
      });
    }
    const body = await response.json().catch(() => null);
    if (app.prepared !== current) return; // the input changed meanwhile
    if (response.status === 200 && body?.parts) {
      const n = body.parts.length;
      const same = sameParts(body.parts, prepared.parts);
      verdict.dataset.status = same ? "same" : "different";
      verdict.textContent = same
        ? `The server checked it again and got the same ${n === 1 ? "single part" : `${fmt.format(n)} parts`}, so this is exactly what goes to the model.`
        : `The server checked it again but got different parts (${fmt.format(n)} on the server, ${fmt.format(prepared.parts.length)} here). The server's version is the one that counts: ${body.plan.message}`;
    } else if (response.status === 422 && body?.plan) {
      verdict.dataset.status = "refused";
      verdict.textContent = `The server did not accept it. ${body.plan.reason ? `It can't be sent as it is: ${body.plan.reason}` : body.plan.message}`;
    } else {
      throw new Error(body?.error?.message ?? `the server answered ${response.status}`);
    }
  } catch (error) {
    if (app.prepared !== current) return;
    verdict.dataset.status = "error";
    verdict.textContent = `We could not upload it: ${error.message}. Try again in a moment.`;
  } finally {
    if (app.prepared === current) button.disabled = false;
  }
}

async function useFile(file) {
  if (!file) return;
  app.file = file;
  app.fileReport = null;
  app.bytes = new Uint8Array(await file.arrayBuffer());
  inputChanged();
  $("file-name").textContent = `File: ${file.name} (your text is ignored while a file is chosen)`;
  $("file-bar").hidden = false;
  $("verdict").hidden = true;
  await checkFile();
}

/** Checks the chosen file in the worker, showing that it is busy. */
async function checkFile() {
  const file = app.file;
  const version = app.version;
  const started = performance.now();
  renderSend();
  $("send-note").textContent = `Checking ${file.name} (${fmt.format(app.bytes.length)} bytes)…`;
  $("dropzone").dataset.busy = "true";
  const ticker = setInterval(() => {
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    $("send-note").textContent = `Checking ${file.name}… ${seconds} s`;
  }, 500);
  try {
    const report = await job({ type: "checkFile", tier: tier(), name: file.name, bytes: app.bytes.slice() });
    if (app.file !== file || app.version !== version) return; // the input changed meanwhile
    app.fileReport = report;
    app.report = report;
    renderMeter(report.tokens, report.issues);
    renderReport(report);
    renderSend();
  } catch (error) {
    $("send-note").textContent = `We could not check this file: ${error.message}`;
  } finally {
    clearInterval(ticker);
    delete $("dropzone").dataset.busy;
  }
}

function clearFile() {
  app.file = null;
  app.bytes = null;
  app.fileReport = null;
  inputChanged();
  $("file").value = "";
  $("file-bar").hidden = true;
  $("verdict").hidden = true;
  if (app.reading) renderMeter(app.reading.tokens, app.reading.issues);
  app.report = app.full;
  if (app.full) renderReport(app.full);
  else $("report").hidden = true;
  renderSend();
  scheduleFullCheck();
}

$("tier").addEventListener("change", () => {
  $("verdict").hidden = true;
  inputChanged();
  if (app.bytes) return checkFile();
  worker.postMessage({ type: "tier", seq: ++app.seq, tier: tier() });
  app.full = null;
  scheduleFullCheck();
});
$("send").addEventListener("click", send);
$("contract").addEventListener("change", () => {
  useContract($("contract").value).catch((error) => {
    $("contract-description").textContent = `We could not load this task: ${error.message}. Pick it again or reload the page.`;
  });
});
$("run-relevant").addEventListener("click", runRelevant);
$("question").addEventListener("keydown", (e) => {
  if (e.key === "Enter") {
    e.preventDefault();
    runRelevant();
  }
});
$("upload-prepared").addEventListener("click", uploadPrepared);
$("file").addEventListener("change", (e) => useFile(e.target.files[0]));
$("clear-file").addEventListener("click", clearFile);
const zone = $("dropzone");
// The file readers are a second, larger module: start fetching it as soon
// as a file may come (a drag over the page, the pointer or focus near the
// picker), so it is usually there by the time the file is dropped.
const preloadReaders = () => worker.postMessage({ type: "preload" });
window.addEventListener("dragenter", preloadReaders, { once: true });
for (const event of ["pointerenter", "focusin"]) zone.addEventListener(event, preloadReaders, { once: true });
zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("dragover"); });
zone.addEventListener("dragleave", () => zone.classList.remove("dragover"));
zone.addEventListener("drop", (e) => {
  e.preventDefault();
  zone.classList.remove("dragover");
  useFile(e.dataTransfer.files[0]);
});

start();
