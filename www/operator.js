// @ts-check
// The operator page: signs in with an operator key (the saved one, or the
// local demo key), fetches the usage and queue views, and draws them with
// Chart.js; each chart has its figures as a table beside it.
import { Chart, registerables } from "chart.js";
import * as api from "./api.js";
import * as charts from "./views/charts.js";

Chart.register(...registerables);

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));
const REFRESH_MS = 10_000;

/** @type {Map<string, Chart>} */
const drawn = new Map();

/** Asks for an operator key, saying why. @param {string} why */
function askForKey(why) {
  $("key-message").textContent = why;
  $("key-form").hidden = false;
  $("operator").dataset.state = "key";
}

/** The figures of a chart as a table: one row per label, one column per dataset. @param {charts.ChartConfiguration} config */
function table(config) {
  const t = document.createElement("table");
  t.className = "chart-table";
  const head = t.createTHead().insertRow();
  for (const name of ["", ...config.data.datasets.map((d) => String(d.label))]) {
    const th = document.createElement("th");
    th.textContent = name;
    head.append(th);
  }
  const body = t.createTBody();
  for (const [i, label] of (config.data.labels ?? []).entries()) {
    const row = body.insertRow();
    const th = document.createElement("th");
    th.scope = "row";
    th.textContent = String(label);
    row.append(th);
    for (const d of config.data.datasets) {
      const value = d.data[i];
      row.insertCell().textContent = typeof value === "number" ? value.toLocaleString("en-US", { maximumFractionDigits: 6 }) : String(value ?? "");
    }
  }
  return t;
}

/** Draws (or redraws) chart `id` and its table. @param {string} id @param {charts.ChartConfiguration} config */
function draw(id, config) {
  const figure = $(`fig-${id}`);
  const empty = (config.data.labels ?? []).length === 0;
  figure.dataset.empty = String(empty);
  const existing = drawn.get(id);
  if (existing) {
    existing.data = config.data;
    existing.options = config.options ?? {};
    existing.update();
  } else {
    drawn.set(id, new Chart($(`chart-${id}`), config));
  }
  figure.querySelector("details")?.remove();
  figure.querySelector(".chart-empty")?.remove();
  if (empty) {
    const note = document.createElement("p");
    note.className = "chart-empty muted";
    note.textContent = "Nothing in this period yet.";
    figure.append(note);
    return;
  }
  const details = document.createElement("details");
  const summary = document.createElement("summary");
  summary.textContent = "The figures";
  details.append(summary, table(config));
  figure.append(details);
}

/** @param {Array<{ id: string, label: string, value: string }>} list */
function showTiles(list) {
  $("tiles").replaceChildren(
    ...list.map((t) => {
      const tile = document.createElement("div");
      tile.className = "tile";
      tile.dataset.tile = t.id;
      const value = document.createElement("strong");
      value.textContent = t.value;
      const label = document.createElement("span");
      label.textContent = t.label;
      tile.append(value, label);
      return tile;
    }),
  );
}

let loading = false;

async function load() {
  if (loading) return;
  loading = true;
  try {
    const days = Number($("range").value);
    const [usage, queue] = await Promise.all([api.adminUsage(days), api.adminQueue(60)]);
    $("key-form").hidden = true;
    $("load-error").hidden = true;
    showTiles(charts.tiles(usage, queue));
    $("truncated").hidden = !usage.truncated;
    draw("day", charts.byDay(usage));
    draw("users", charts.byUser(usage));
    draw("tiers", charts.byTier(usage));
    draw("outcomes", charts.outcomes(usage));
    draw("queue", charts.queueDepth(queue));
    draw("codes", charts.issueCodes(usage));
    $("updated").textContent = `Updated at ${new Date().toLocaleTimeString()}.`;
    $("operator").dataset.state = "ready";
    $("operator").dataset.days = String(days);
  } catch (error) {
    if (error instanceof api.ApiError && (error.status === 401 || error.status === 403)) {
      askForKey(error.status === 401 ? "This page needs an operator key." : "This key is not an operator's: the page needs one created with --admin.");
    } else {
      $("load-error").textContent = `We could not load the figures: ${error instanceof Error ? error.message : String(error)}`;
      $("load-error").hidden = false;
      $("operator").dataset.state = "error";
    }
  } finally {
    loading = false;
  }
}

async function start() {
  await api.restoreKey();
  $("range").addEventListener("change", load);
  $("refresh").addEventListener("click", load);
  $("key-form").addEventListener("submit", (/** @type {SubmitEvent} */ event) => {
    event.preventDefault();
    api.saveKey($("key").value.trim());
    load();
  });
  setInterval(() => {
    if ($("live").checked && $("operator").dataset.state === "ready") load();
  }, REFRESH_MS);
  if (api.key()) await load();
  else askForKey("This page needs an operator key.");
}

start();
