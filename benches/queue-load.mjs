// The queue under load, measured from outside with oha: the fake provider
// takes N requests a second (`preflight fake-provider --requests-per-second
// N`, OpenAI's 429 and rate-limit headers beyond that), our limit for it is
// N × 60 a minute and N a second, and oha sends `POST /v1/run` at 10 × N a second for 60 s.
// Requests the provider has room for are answered at once; the rest become
// jobs (202) when the wait would pass the run's deadline, and the workers
// drain them at the provider's pace.
//
// Before the overload, a light phase (N / 2 a second, at most 5, for 20 s, every
// request `Prefer: respond-async`) measures what the queue itself adds:
// the wait from acceptance until a worker takes a job while workers are
// free.
//
// Then it checks, from the server's own views and the database:
// - every request oha sent got an answer (no connection errors, no
//   timeouts), and every 202's job finished: none queued, running or lost;
// - one usage record per request;
// - the quota counters equal the sum of the usage records exactly, with no
//   reservation left.
// and reports jobs per second through the queue, the queue's overhead and
// the time in the database per request (`preflight_db_seconds` in
// /metrics).
//
// Usage: node benches/queue-load.mjs [--db sqlite|postgres] [--rate N]
//        [--seconds S] [--factor F] [--async]
// Needs oha (`cargo install oha --locked`) and a release build with the fake
// (`cargo build --release -p prompt-preflight-server --features fake`);
// PostgreSQL from Debian (`apt-get install -y postgresql`) for --db postgres.
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const BIN = process.env.PREFLIGHT_BIN ?? join(root, "target", "release", "preflight");
const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const DB = arg("db", "sqlite");
const RATE = Number(arg("rate", "10"));
const SECONDS = Number(arg("seconds", "60"));
const FACTOR = Number(arg("factor", "10"));
// Every overload request asks for a job (`Prefer: respond-async`): for the
// queue's own capacity, with a provider fast enough not to be the limit.
const ASYNC = process.argv.includes("--async");
const LIGHT_SECONDS = 20;
const WORKERS = 8;
const DEADLINE_SECONDS = 5;
const TEXT = "Ada renewed early and asked about the pro plan; Grace wants audit logs and a quote for 40 seats.";

const work = mkdtempSync(join(tmpdir(), "preflight-load-"));
const children = [];
const cleanups = [];
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
  for (const clean of cleanups.reverse()) clean();
});
process.on("SIGINT", () => process.exit(130));

/** Spawns the binary and resolves with the URL from its "listening on" line. */
function listening(args, env, pattern) {
  const child = spawn("sh", ["-c", 'ulimit -n $(ulimit -Hn) && exec "$@"', "preflight", BIN, ...args], { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start: ${out}`)), 60_000);
    const seen = (chunk) => {
      out += chunk;
      const m = out.match(pattern);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", (chunk) => (out += chunk));
    child.on("exit", (code) => reject(new Error(`${args[0]} exited with ${code}: ${out}`)));
  });
}

/** A PostgreSQL server from Debian's binaries, durable settings, in `work`. */
function startPostgres() {
  const version = readdirSync("/usr/lib/postgresql").sort().at(-1);
  const bin = `/usr/lib/postgresql/${version}/bin`;
  const dir = join(work, "pg");
  execFileSync("mkdir", ["-p", dir]);
  chmodSync(work, 0o755);
  const asPostgres = (cmd, args) => execFileSync("runuser", ["-u", "postgres", "--", `${bin}/${cmd}`, ...args], { stdio: "pipe" });
  execFileSync("chown", ["-R", "postgres:postgres", dir]);
  asPostgres("initdb", ["-D", `${dir}/data`, "-A", "trust", "-U", "postgres", "-E", "UTF8"]);
  const port = 20000 + Math.floor(Math.random() * 20000);
  asPostgres("pg_ctl", ["-D", `${dir}/data`, "-o", `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=100`, "-l", `${dir}/log`, "-w", "start"]);
  cleanups.push(() => {
    try {
      asPostgres("pg_ctl", ["-D", `${dir}/data`, "-m", "fast", "stop"]);
    } catch {}
    rmSync(work, { recursive: true, force: true });
  });
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, version };
}

/** oha's JSON summary of `seconds` at `rate` a second. */
function oha({ url, key, rate, seconds, connections, headers = [] }) {
  // oha and the server each hold a socket per connection: more than the
  // default 1,024 descriptors.
  const out = execFileSync(
    "sh",
    [
      "-c", 'ulimit -n $(ulimit -Hn) && exec oha "$@"', "oha",
      "-z", `${seconds}s`, "-q", String(rate), "-c", String(connections),
      "-w", "--no-tui", "--output-format", "json",
      "-m", "POST",
      "-H", `authorization: Bearer ${key}`, "-H", "content-type: application/json",
      ...headers.flatMap((h) => ["-H", h]),
      "-d", JSON.stringify({ contract: "load", text: TEXT }),
      `${url}/v1/run`,
    ],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(out.toString());
}

const get = async (url, key) => {
  const response = await fetch(url, { headers: { authorization: `Bearer ${key}` } });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return url.endsWith("/metrics") ? response.text() : response.json();
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Once no job waits or runs and no request holds a reservation. */
async function drained(url, key) {
  for (;;) {
    const q = await get(`${url}/v1/admin/queue?minutes=60`, key);
    const me = await get(`${url}/v1/me?contract=load`, key);
    const held = me.quota.counters.some((c) => c.reserved > 0);
    if (q.waiting === 0 && q.running === 0 && !held) return q;
    await sleep(1000);
  }
}

/** `preflight_db_seconds` by op: {op: {count, sum}}. */
function dbTimes(metrics) {
  const ops = {};
  for (const line of metrics.split("\n")) {
    const m = line.match(/^preflight_db_seconds_(sum|count)\{op="(\w+)"\} ([\d.e+-]+)/);
    if (!m) continue;
    ops[m[2]] ??= { count: 0, sum: 0 };
    ops[m[2]][m[1]] = Number(m[3]);
  }
  return ops;
}

const statusCounts = (summary) => summary.statusCodeDistribution ?? {};
const sent = (summary) => Object.values(statusCounts(summary)).reduce((a, b) => a + b, 0);
const errors = (summary) => Object.values(summary.errorDistribution ?? {}).reduce((a, b) => a + b, 0);

async function main() {
  const database = DB === "postgres" ? startPostgres() : { url: `sqlite://${work}/load.db`, version: "bundled" };
  if (DB !== "postgres") cleanups.push(() => rmSync(work, { recursive: true, force: true }));
  const contracts = join(work, "contracts");
  execFileSync("mkdir", ["-p", contracts]);
  writeFileSync(
    join(contracts, "load.toml"),
    `id = "load"
version = "1.0.0"
description = "The load test's contract: short notes, a short answer."
default_tier = "load"
[model]
name = "gpt-4o-mini"
[prompt]
system = "Summarise the notes."
template = "Notes:\\n{{input}}"
[tiers.load]
max_input_tokens = 2000
max_output_tokens = 100
monthly_tokens = 1000000000
monthly_spend_usd = 100000
`,
  );
  const config = join(work, "preflight.toml");
  writeFileSync(
    config,
    `[providers.openai]\nrpm = ${RATE * 60}\nrps = ${RATE}\n\n[run]\ndeadline_seconds = ${DEADLINE_SECONDS}\nmax_attempts = 6\n\n[queue]\nworkers = ${WORKERS}\n`,
  );
  const fake = await listening(
    ["fake-provider", "--addr", "127.0.0.1:0", "--requests-per-second", String(RATE)],
    { RUST_LOG: "error" },
    /fake provider listening on (http:\/\/\S+)/,
  );
  const env = {
    RUST_LOG: "error",
    DATABASE_URL: database.url,
    OPENAI_API_KEY: "fake-key-load",
    OPENAI_BASE_URL: `${fake}/v1`,
    PREFLIGHT_CONFIG: config,
  };
  const key = execFileSync(BIN, ["keys", "create", "--user", "load", "--tier", "load", "--admin", "--contracts", contracts], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "ignore"],
  })
    .toString()
    .trim();
  const url = await listening(["serve", "--addr", "127.0.0.1:0", "--contracts", contracts, "--log-format", "text"], env, /listening on (http:\/\/\S+)/);

  // 1. Light: what the queue itself adds while workers are free.
  const light = oha({ url, key, rate: Math.max(1, Math.min(RATE / 2, 5)), seconds: LIGHT_SECONDS, connections: 16, headers: ["prefer: respond-async"] });
  const lightQueue = await drained(url, key);
  const metricsBefore = dbTimes(await get(`${url}/metrics`, key));
  const OBSERVER_OPS = ["job_times", "usage_records", "users", "keys"];

  // 2. The overload: FACTOR × the provider's rate.
  const started = Date.now();
  const heavy = oha({
    url, key, rate: RATE * FACTOR, seconds: SECONDS, connections: ASYNC ? 64 : 1000,
    headers: ASYNC ? ["prefer: respond-async"] : [],
  });
  const sentFor = (Date.now() - started) / 1000;
  const queue = await drained(url, key);
  const drainedAt = (Date.now() - started) / 1000;

  // 3. Nothing lost, everything counted.
  const usage = await get(`${url}/v1/admin/usage?days=1`, key);
  const me = await get(`${url}/v1/me?contract=load`, key);
  const metrics = await get(`${url}/metrics`, key);
  const stats = await (await fetch(`${fake}/fake/stats`)).json();
  const total = sent(light) + sent(heavy);
  const accepted = (statusCounts(light)["202"] ?? 0) + (statusCounts(heavy)["202"] ?? 0);
  const counter = (metric) => me.quota.counters.find((c) => c.metric === metric);
  const user = usage.by_user.find((u) => u.user === "load");
  const checks = [
    ["no connection errors or timeouts", errors(light) + errors(heavy) === 0, `${errors(light) + errors(heavy)} errors`],
    ["every job finished (none queued or running)", queue.waiting === 0 && queue.running === 0, `${queue.waiting} waiting, ${queue.running} running`],
    ["one job per 202, all done", queue.finished + queue.cancelled === accepted, `${queue.finished} done + ${queue.cancelled} cancelled, ${accepted} accepted`],
    ["one usage record per request", usage.totals.requests === total, `${usage.totals.requests} records, ${total} requests`],
    ["tokens counter = records", counter("tokens_month").used === user.input_tokens + user.output_tokens, `${counter("tokens_month").used} vs ${user.input_tokens + user.output_tokens}`],
    ["spend counter = records", counter("spend_month").used === Math.round(user.cost_usd * 1e6), `${counter("spend_month").used} vs ${Math.round(user.cost_usd * 1e6)} µ$`],
    ["no reservation left", me.quota.counters.every((c) => c.reserved === 0), me.quota.counters.map((c) => `${c.metric} ${c.reserved}`).join(", ")],
  ];

  // The operator views this script polls are its own load, not the requests'.
  const db = Object.fromEntries(Object.entries(dbTimes(metrics)).filter(([op]) => !OBSERVER_OPS.includes(op)));
  const dbTotal = Object.values(db).reduce((a, o) => a + o.sum, 0);
  const dbHeavy = Object.entries(db).reduce((a, [op, o]) => a + o.sum - (metricsBefore[op]?.sum ?? 0), 0);
  const jobsHeavy = queue.finished - lightQueue.finished;
  const outcomes = {};
  for (const day of Object.values(usage.outcomes_by_day)) for (const [o, n] of Object.entries(day)) outcomes[o] = (outcomes[o] ?? 0) + n;
  const ms = (s) => `${(s * 1000).toFixed(2)} ms`;
  const line = (label, value) => console.log(`| ${label} | ${value} |`);

  console.log(`\n## Queue under load: ${DB} (${database.version}), provider ${RATE}/s, load ${RATE * FACTOR}/s for ${SECONDS} s${ASYNC ? ", every request a job" : ""}\n`);
  console.log("| | |\n|---|---|");
  line("requests sent (light + overload)", `${sent(light)} + ${sent(heavy)} = ${total}`);
  line("overload answers", Object.entries(statusCounts(heavy)).map(([s, n]) => `${n} × ${s}`).join(", "));
  line("overload sent at", `${(sent(heavy) / sentFor).toFixed(1)}/s (oha ${heavy.summary.requestsPerSec.toFixed(1)}/s)`);
  line("outcomes (usage records)", Object.entries(outcomes).map(([o, n]) => `${n} ${o}`).join(", "));
  line("jobs through the queue (overload)", `${jobsHeavy} in ${drainedAt.toFixed(0)} s from the first request: ${(jobsHeavy / drainedAt).toFixed(2)} jobs/s`);
  line("provider calls served / refused by its limit", `${stats.served} / ${stats.rate_limited}`);
  line("queue overhead, light (accept → a free worker takes it)", `p50 ${lightQueue.wait.p50_ms} ms, p99 ${lightQueue.wait.p99_ms} ms, max ${lightQueue.wait.max_ms} ms (${lightQueue.wait.count} jobs)`);
  line("a worker's time per job, light (provider call + completion)", `p50 ${lightQueue.service.p50_ms} ms, p99 ${lightQueue.service.p99_ms} ms`);
  line("wait for a worker, overload (the backlog)", `p50 ${(queue.wait.p50_ms / 1000).toFixed(1)} s, p99 ${(queue.wait.p99_ms / 1000).toFixed(1)} s`);
  line("sync answers, overload (oha)", `p50 ${ms(heavy.latencyPercentiles.p50)}, p99 ${ms(heavy.latencyPercentiles.p99)}`);
  line("database time per request", `${ms(dbTotal / total)} (overload alone: ${ms(dbHeavy / sent(heavy))})`);
  const per = Object.entries(db)
    .filter(([, o]) => o.count > 0)
    .sort((a, b) => b[1].sum - a[1].sum)
    .slice(0, 8)
    .map(([op, o]) => `${op} ${ms(o.sum / o.count)} × ${o.count}`);
  line("database time by operation (mean × count)", per.join("; "));
  const errorsSeen = { ...light.errorDistribution, ...heavy.errorDistribution };
  if (Object.keys(errorsSeen).length) line("oha's errors", JSON.stringify(errorsSeen));
  console.log("\nChecks:");
  let failed = 0;
  for (const [what, ok, detail] of checks) {
    console.log(`- ${ok ? "ok" : "FAILED"}: ${what} (${detail})`);
    if (!ok) failed++;
  }
  process.exit(failed ? 1 : 0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
