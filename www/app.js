// The web app's glue: it reads the page, calls the Wasm core, and renders
// what the core returns. Every verdict and every message comes from the core
// (the same Rust code the server runs); nothing here decides what is valid.
import init, { Preflight } from "/pkg/dist/prompt_preflight.js";

const $ = (id) => document.getElementById(id);
const fmt = new Intl.NumberFormat("en-US");
// Figures read by the browser tests and benches/browser.mjs.
const timings = (window.preflightTimings = { meterReadyMs: null, updates: [] });

const app = { pf: null, contract: null, file: null, bytes: null, report: null, pending: false, since: 0, fileReport: null };

// Files are checked in a worker (same Wasm core) so big workbooks never
// freeze typing; typed text is checked here, on every keystroke.
const worker = new Worker("/worker.js", { type: "module" });
let nextJob = 0;
const jobs = new Map();
worker.onmessage = ({ data }) => {
  const job = jobs.get(data.id);
  jobs.delete(data.id);
  if (job) data.error ? job.reject(new Error(data.error)) : job.resolve(data.report);
};
function checkFileInWorker(tier, name, bytes) {
  const id = nextJob++;
  return new Promise((resolve, reject) => {
    jobs.set(id, { resolve, reject });
    worker.postMessage({ type: "checkFile", id, tier, name, bytes: bytes.slice() });
  });
}

const STATE_LABEL = { ok: "Within your plan", warn: "Close to your limit", over: "Over your limit" };
const TOKEN_CODES = new Set(["over_token_limit", "near_token_limit", "token_count_estimated"]);

async function getJson(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}

async function start() {
  try {
    const [, contracts] = await Promise.all([init(), getJson("/v1/contracts")]);
    if (contracts.length === 0) throw new Error("the server has no contracts");
    const chosen = contracts[0];
    app.contract = await getJson(`/v1/contracts/${encodeURIComponent(chosen.id)}`);
    app.pf = new Preflight(JSON.stringify(app.contract));
    worker.postMessage({ type: "contract", source: JSON.stringify(app.contract) });
    fillTiers(app.contract, chosen.default_tier);
    $("contract-description").textContent = app.contract.description;
    $("contract-id").textContent = `Task: ${app.contract.id} v${app.contract.version}`;
    $("prompt").disabled = false;
    $("tier").disabled = false;
    update();
    $("meter").dataset.ready = "true";
    timings.meterReadyMs = performance.now();
  } catch (error) {
    $("contract-description").textContent = `We could not start the checker: ${error.message}. Reload the page to try again.`;
    $("meter-count").textContent = "The token counter is not available.";
  }
}

function fillTiers(contract, defaultTier) {
  const select = $("tier");
  const tiers = Object.entries(contract.tiers).sort((a, b) => a[1].max_input_tokens - b[1].max_input_tokens);
  for (const [name, tier] of tiers) {
    const option = new Option(`${name} (${fmt.format(tier.max_input_tokens)} tokens per request)`, name);
    option.selected = name === defaultTier;
    select.add(option);
  }
}

const tier = () => $("tier").value || undefined;

/** Runs the core check on the current input and renders everything. */
function update() {
  if (!app.pf) return;
  if (app.bytes) {
    if (!app.fileReport) return; // the worker is still checking
    app.report = app.fileReport;
  } else {
    app.report = app.pf.checkText(tier(), $("prompt").value);
  }
  renderMeter(app.report);
  renderReport(app.report);
  renderSend(app.report);
  $("verdict").hidden = true;
}

/** Coalesces keystrokes into one check per frame, and records how long it took. */
function scheduleUpdate(event) {
  if (!app.pending) {
    app.pending = true;
    app.since = event ? event.timeStamp : performance.now();
    requestAnimationFrame(() => {
      app.pending = false;
      const begin = performance.now();
      update();
      const end = performance.now();
      timings.updates.push({ checkMs: end - begin, sinceInputMs: end - app.since });
      if (timings.updates.length > 1000) timings.updates.shift();
    });
  }
}

function renderMeter(report) {
  const { count, limit, state, exact } = report.tokens;
  const meter = $("meter");
  meter.dataset.state = state;
  $("meter-fill").style.width = `${Math.min(100, (count / limit) * 100)}%`;
  $("meter-count").textContent = `${exact ? "" : "~"}${fmt.format(count)} / ${fmt.format(limit)} tokens`;
  $("meter-state").textContent = STATE_LABEL[state];
  const limitIssue = report.issues.find((i) => i.code === "over_token_limit" || i.code === "near_token_limit");
  $("meter-message").textContent = limitIssue ? `${limitIssue.message} ${limitIssue.hint}` : "";
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
  const shownIssues = report.issues.filter((i) => !TOKEN_CODES.has(i.code) && !(i.code === "empty_input" && !app.bytes));
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
    fact("Size", `${fmt.format(input.bytes)} bytes`);
    if (input.kind !== "unsupported" && !input.sheets && input.kind !== "pdf") fact("Character set", input.encoding);
    if (input.bom) fact("Byte-order mark", input.bom);
    if (input.line_ending) fact("Line endings", input.line_ending.toUpperCase());
    if (input.language) fact("Language", input.language);
    if (input.sheets) fact("Sheets", describeSheets(input));
    if (input.pages !== undefined) fact("Pages", fmt.format(input.pages));
    if (input.pages_without_text?.length) fact("Pages without text", input.pages_without_text.join(", "));
    if (input.encrypted) fact("Encrypted", "yes");
    if (input.delimiter) fact("Separator", input.delimiter === "\\t" ? "tab" : `"${input.delimiter}"`);
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
    head.append(Object.assign(document.createElement("strong"), { textContent: issue.message }));
    const where = whereText(issue.at);
    if (where) head.append(" ", Object.assign(document.createElement("span"), { className: "where", textContent: `(${where})` }));
    item.append(head);
    item.append(Object.assign(document.createElement("p"), { className: "hint", textContent: `What to do: ${issue.hint}` }));
    if (issue.example) item.append(Object.assign(document.createElement("pre"), { textContent: issue.example }));
    list.append(item);
  }
}

function renderSend(report) {
  const errors = report.issues.filter((i) => i.severity === "error");
  const send = $("send");
  send.disabled = errors.length > 0;
  if (report.tokens.state === "over") {
    $("send-note").textContent = "Over your plan's limit: shorten the input before sending.";
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
  const local = app.report;
  let response;
  try {
    if (app.bytes) {
      const form = new FormData();
      form.append("contract", app.contract.id);
      if (tier()) form.append("tier", tier());
      form.append("file", new Blob([app.bytes]), app.file.name);
      response = await fetch("/v1/check", { method: "POST", body: form });
    } else {
      response = await fetch("/v1/check", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ contract: app.contract.id, tier: tier(), text: $("prompt").value }),
      });
    }
    const body = await response.json();
    if (!response.ok) throw new Error(body.error?.message ?? `the server answered ${response.status}`);
    renderVerdict(body, local);
  } catch (error) {
    renderVerdict(null, local, error);
  } finally {
    renderSend(app.report);
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
    ? `Accepted: the server checked your input (${fmt.format(report.tokens.count)} tokens) and it is ready for the model.`
    : `Refused: the server found ${errors === 1 ? "a problem" : `${errors} problems`}.`;
  section.dataset.matchesBrowser = String(same);
  renderIssues($("verdict-issues"), report.issues.filter((i) => i.severity !== "info"), "No problems found.");
  payloadBox.hidden = !payload;
  $("payload").textContent = payload ? JSON.stringify(payload, null, 2) : "";
}

async function useFile(file) {
  if (!file) return;
  app.file = file;
  app.fileReport = null;
  app.bytes = new Uint8Array(await file.arrayBuffer());
  $("file-name").textContent = `File: ${file.name} (your text is ignored while a file is chosen)`;
  $("file-bar").hidden = false;
  await checkFile();
}

/** Checks the chosen file in the worker, showing that it is busy. */
async function checkFile() {
  const file = app.file;
  const started = performance.now();
  $("send").disabled = true;
  $("send-note").textContent = `Checking ${file.name} (${fmt.format(app.bytes.length)} bytes)…`;
  $("dropzone").dataset.busy = "true";
  const ticker = setInterval(() => {
    const seconds = ((performance.now() - started) / 1000).toFixed(0);
    $("send-note").textContent = `Checking ${file.name}… ${seconds} s`;
  }, 500);
  try {
    const report = await checkFileInWorker(tier(), file.name, app.bytes);
    if (app.file !== file) return; // another file was chosen meanwhile
    app.fileReport = report;
    update();
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
  $("file").value = "";
  $("file-bar").hidden = true;
  update();
}

$("prompt").addEventListener("input", scheduleUpdate);
$("tier").addEventListener("change", () => (app.bytes ? checkFile() : update()));
$("send").addEventListener("click", send);
$("file").addEventListener("change", (e) => useFile(e.target.files[0]));
$("clear-file").addEventListener("click", clearFile);
const zone = $("dropzone");
zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("dragover"); });
zone.addEventListener("dragleave", () => zone.classList.remove("dragover"));
zone.addEventListener("drop", (e) => {
  e.preventDefault();
  zone.classList.remove("dragover");
  useFile(e.dataTransfer.files[0]);
});

start();
