// @ts-check
// The operator page's charts, as Chart.js configurations built from the
// server's views (`GET /v1/admin/usage`, `GET /v1/admin/queue`). Pure: no
// DOM and no fetching, so each figure can be checked against the view it
// came from.

/** @typedef {import("chart.js").ChartConfiguration} ChartConfiguration */

/**
 * Sums of a group of usage records (`Sums` on the server).
 * @typedef {{ requests: number, attempts: number, input_tokens: number, output_tokens: number, cost_usd: number, failed: number }} Sums
 */

/**
 * `GET /v1/admin/usage`.
 * @typedef {{
 *   since_ms: number,
 *   totals: Sums,
 *   by_user: Array<Sums & { user_id: string | null, user: string, tier: string }>,
 *   by_tier: Record<string, Sums>,
 *   by_day: Record<string, Sums>,
 *   outcomes_by_day: Record<string, Record<string, number>>,
 *   top_issue_codes: Array<[string, number]>,
 *   truncated: boolean,
 * }} UsageView
 */

/**
 * `GET /v1/admin/queue`.
 * @typedef {{ count: number, p50_ms: number | null, p90_ms: number | null, p99_ms: number | null, max_ms: number | null }} Spread
 * @typedef {{
 *   now_ms: number, since_ms: number, step_ms: number,
 *   waiting: number, running: number, finished: number, cancelled: number,
 *   finished_per_second: number,
 *   wait: Spread, service: Spread,
 *   depth: Array<{ t_ms: number, waiting: number, running: number }>,
 *   truncated: boolean,
 * }} QueueView
 */

/** How many users and issue codes a chart shows. */
export const TOP = 10;

// Colours that stay apart for readers with the common colour-vision
// deficiencies (Okabe–Ito), with the answered outcomes in the calm ones.
const PALETTE = ["#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442", "#000000"];
/** @type {Record<string, string>} */
const OUTCOME_COLOURS = {
  answered: "#009e73",
  checked: "#56b4e9",
  check_failed: "#e69f00",
  prepared: "#0072b2",
  quota_exceeded: "#cc79a7",
  rate_limited: "#f0e442",
};

/** A stable colour for an outcome. @param {string} outcome @param {number} i */
export const outcomeColour = (outcome, i) => OUTCOME_COLOURS[outcome] ?? ["#d55e00", "#0072b2", "#000000", "#999999"][i % 4];

/** "$12.34", "$0.0042", "$0". @param {number} n */
export const dollars = (n) => (n === 0 ? "$0" : n < 0.01 ? `$${Number(n.toPrecision(2))}` : `$${n.toFixed(2)}`);

/** A US-dollar axis, labelled in dollars rather than powers of ten. */
const USD_AXIS = {
  type: /** @type {const} */ ("linear"),
  position: /** @type {const} */ ("right"),
  beginAtZero: true,
  grid: { drawOnChartArea: false },
  title: { display: true, text: "USD" },
  ticks: { callback: (/** @type {string | number} */ value) => dollars(Number(value)) },
};

/** Tokens in and out per day (stacked), and the day's cost on its own axis. @param {UsageView} usage @returns {ChartConfiguration} */
export function byDay(usage) {
  const days = Object.keys(usage.by_day).sort();
  const sums = days.map((d) => usage.by_day[d]);
  return {
    type: "bar",
    data: {
      labels: days,
      datasets: [
        { type: "bar", label: "Input tokens", data: sums.map((s) => s.input_tokens), backgroundColor: PALETTE[0], stack: "tokens", yAxisID: "tokens" },
        { type: "bar", label: "Output tokens", data: sums.map((s) => s.output_tokens), backgroundColor: PALETTE[4], stack: "tokens", yAxisID: "tokens" },
        // @ts-ignore: a line on a bar chart is Chart.js's mixed chart
        { type: "line", label: "Cost (USD)", data: sums.map((s) => s.cost_usd), borderColor: PALETTE[1], backgroundColor: PALETTE[1], yAxisID: "cost" },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { stacked: true },
        tokens: { type: "linear", position: "left", stacked: true, beginAtZero: true, title: { display: true, text: "tokens" } },
        cost: USD_AXIS,
      },
    },
  };
}

/** Tokens per user, the biggest spenders first (the top ten). @param {UsageView} usage @returns {ChartConfiguration} */
export function byUser(usage) {
  const users = usage.by_user.slice(0, TOP);
  return {
    type: "bar",
    data: {
      labels: users.map((u) => `${u.user} (${u.tier}) · ${dollars(u.cost_usd)}`),
      datasets: [
        { label: "Input tokens", data: users.map((u) => u.input_tokens), backgroundColor: PALETTE[0], stack: "tokens" },
        { label: "Output tokens", data: users.map((u) => u.output_tokens), backgroundColor: PALETTE[4], stack: "tokens" },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      indexAxis: "y",
      scales: { x: { stacked: true, beginAtZero: true }, y: { stacked: true } },
    },
  };
}

/** Requests and cost per tier. @param {UsageView} usage @returns {ChartConfiguration} */
export function byTier(usage) {
  const tiers = Object.keys(usage.by_tier).sort();
  return {
    type: "bar",
    data: {
      labels: tiers,
      datasets: [
        { label: "Requests", data: tiers.map((t) => usage.by_tier[t].requests), backgroundColor: PALETTE[2], yAxisID: "requests" },
        { label: "Cost (USD)", data: tiers.map((t) => usage.by_tier[t].cost_usd), backgroundColor: PALETTE[1], yAxisID: "cost" },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: {
        requests: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: "requests" } },
        cost: USD_AXIS,
      },
    },
  };
}

/** How each day's requests ended: answered, checked, refused, or how they failed. @param {UsageView} usage @returns {ChartConfiguration} */
export function outcomes(usage) {
  const days = Object.keys(usage.outcomes_by_day).sort();
  const names = [...new Set(days.flatMap((d) => Object.keys(usage.outcomes_by_day[d])))].sort((a, b) => {
    // The good outcomes at the bottom of each bar, then the rest by name.
    const rank = (/** @type {string} */ o) => ["answered", "checked"].indexOf(o) >>> 0;
    return rank(a) - rank(b) || a.localeCompare(b);
  });
  return {
    type: "bar",
    data: {
      labels: days,
      datasets: names.map((name, i) => ({
        label: name,
        data: days.map((d) => usage.outcomes_by_day[d][name] ?? 0),
        backgroundColor: outcomeColour(name, i),
        stack: "outcomes",
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "requests" } } },
    },
  };
}

/** The issue codes users' inputs raised most often. @param {UsageView} usage @returns {ChartConfiguration} */
export function issueCodes(usage) {
  const top = usage.top_issue_codes.slice(0, TOP);
  return {
    type: "bar",
    data: {
      labels: top.map(([code]) => code),
      datasets: [{ label: "Times raised", data: top.map(([, n]) => n), backgroundColor: PALETTE[3] }],
    },
    options: { animation: false, maintainAspectRatio: false, indexAxis: "y", scales: { x: { beginAtZero: true } } },
  };
}

/** "14:05" for a time, in the reader's zone. @param {number} ms */
const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });

/** The queue's depth over the window: the most jobs waiting and running in each step. @param {QueueView} queue @returns {ChartConfiguration} */
export function queueDepth(queue) {
  return {
    type: "line",
    data: {
      labels: queue.depth.map((p) => clock(p.t_ms)),
      datasets: [
        { label: "Waiting", data: queue.depth.map((p) => p.waiting), borderColor: PALETTE[1], backgroundColor: PALETTE[1], stepped: true, fill: false },
        { label: "Running", data: queue.depth.map((p) => p.running), borderColor: PALETTE[0], backgroundColor: PALETTE[0], stepped: true, fill: false },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      elements: { point: { radius: 0 } },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "jobs" } } },
    },
  };
}

/**
 * The headline figures, each with its words.
 * @param {UsageView} usage
 * @param {QueueView | null} queue
 * @returns {Array<{ id: string, label: string, value: string }>}
 */
export function tiles(usage, queue) {
  const t = usage.totals;
  const failedShare = t.requests ? `${((100 * t.failed) / t.requests).toFixed(1)}%` : "–";
  const list = [
    { id: "requests", label: "Requests", value: t.requests.toLocaleString("en-US") },
    { id: "tokens", label: "Tokens (in + out)", value: (t.input_tokens + t.output_tokens).toLocaleString("en-US") },
    { id: "cost", label: "Cost", value: dollars(t.cost_usd) },
    { id: "failed", label: "Did not succeed", value: failedShare },
  ];
  if (queue) {
    list.push(
      { id: "queue", label: "Queue now (waiting · running)", value: `${queue.waiting} · ${queue.running}` },
      { id: "wait", label: "Wait for a worker, p99", value: queue.wait.p99_ms === null ? "–" : seconds(queue.wait.p99_ms) },
    );
  }
  return list;
}

/** "1.2 s", "350 ms". @param {number} ms */
const seconds = (ms) => (ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`);
