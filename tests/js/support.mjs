// Shared by the JavaScript tests and benches: start the real server on a
// free port, list fixtures, launch Debian's Chromium through playwright-core.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("../..", import.meta.url));
export const fixturesDir = join(root, "tests", "fixtures");

/** Spawns the `preflight` binary with `args` and waits for the line `pattern` matches. */
async function spawnListening(args, pattern, env = {}) {
  const bin = join(root, "target", "debug", "preflight");
  const child = spawn(bin, args, {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, ...env },
  });
  const { url, out } = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start within 30 s`)), 30_000);
    child.stdout.on("data", (chunk) => {
      out += chunk;
      const found = out.match(pattern);
      if (found) {
        clearTimeout(timer);
        resolve({ url: found[1], out });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${args[0]} exited with ${code} before listening`));
    });
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", resolve);
      child.kill("SIGINT");
    });
  return { url, out, stop };
}

/**
 * Starts `preflight serve` on 127.0.0.1 with a free port. With
 * `{ openaiKey }`, it first starts the fake provider (`preflight
 * fake-provider`) and points the server's OpenAI client at it with that
 * key (one of the fake's keys, e.g. `fake-busy-once`); both stop together.
 * `env` adds variables, e.g. `PREFLIGHT_RUN_DEADLINE_SECONDS`.
 *
 * Each server has its own SQLite database in a temporary directory and a
 * demo user (`--demo`): `key` is its API key (an operator key), and
 * `databaseUrl` the database, for `preflight keys create`.
 */
export async function startServer({ openaiKey, env: extra = {} } = {}) {
  let fake = null;
  const data = mkdtempSync(join(tmpdir(), "preflight-db-"));
  const env = { RUST_LOG: "warn,lopdf=error", DATABASE_URL: `sqlite://${data}/test.db`, ...extra };
  if (openaiKey) {
    fake = await spawnListening(["fake-provider", "--addr", "127.0.0.1:0"], /fake provider listening on (http:\/\/\S+)/);
    env.OPENAI_API_KEY = openaiKey;
    env.OPENAI_BASE_URL = `${fake.url}/v1`;
  }
  const server = await spawnListening(
    ["serve", "--addr", "127.0.0.1:0", "--www", "www", "--pkg", "pkg", "--demo"],
    /listening on (http:\/\/\S+)/,
    env,
  );
  const key = server.out.match(/demo key [^:]*: (pp_\w+)/)?.[1];
  if (!key) throw new Error(`the server printed no demo key:\n${server.out}`);
  return {
    url: server.url,
    fakeUrl: fake?.url,
    key,
    databaseUrl: env.DATABASE_URL,
    stop: async () => {
      await server.stop();
      await fake?.stop();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Every input fixture: {name, bytes}. */
export function fixtures() {
  return readdirSync(fixturesDir, { withFileTypes: true })
    .filter((e) => e.isFile() && e.name !== "README.md" && !e.name.endsWith(".snap"))
    .map((e) => e.name)
    .sort()
    .map((name) => ({ name, bytes: new Uint8Array(readFileSync(join(fixturesDir, name))) }));
}

export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Launches Chromium with a fresh profile; `close()` also removes the profile. */
export async function launchChromium() {
  const { chromium } = await import("playwright-core");
  const profile = mkdtempSync(join(tmpdir(), "preflight-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Starts the server and opens the web app in a fresh Chromium, waiting for
 * the token meter; script errors on the page are collected in `pageErrors`.
 */
export async function openApp({ path = "", server: options = {} } = {}) {
  const server = await startServer(options);
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(error));
  await page.goto(server.url + path);
  await page.waitForSelector('#meter[data-ready="true"]', { timeout: 30_000 });
  return {
    server,
    browser,
    page,
    pageErrors,
    close: async () => {
      await browser.close();
      await server.stop();
    },
  };
}

/** Creates a key with `preflight keys create` on the database at `databaseUrl`; resolves with the key. */
export function createKey(databaseUrl, user, tier, { admin = false } = {}) {
  const bin = join(root, "target", "debug", "preflight");
  const args = ["keys", "create", "--user", user, "--tier", tier, ...(admin ? ["--admin"] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd: root, env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (chunk) => (out += chunk));
    child.stderr.on("data", (chunk) => (err += chunk));
    child.on("exit", (code) => {
      const key = out.trim();
      if (code === 0 && key.startsWith("pp_")) resolve(key);
      else reject(new Error(`keys create exited with ${code}: ${err}`));
    });
  });
}
