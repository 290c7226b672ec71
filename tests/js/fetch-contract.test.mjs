// `fetchContract` against the real server: `preflight serve` on a free
// port, with a temporary database and its own copy of `contracts/`, which
// the tests change (a description edited, a version removed, one retired)
// and make the server reload with SIGHUP. Every request the package sends
// goes through a wrapping `options.fetch` that records it, so the tests
// see what was sent (`If-None-Match`) and what came back (200, 304, 404).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root } from "./support.mjs";
import { ContractFetchError, ContractVersionError, Preflight, fetchContract } from "../../pkg/node.js";

const ID = "customer-list";
let temp;
let contracts;
let server;

/** `preflight serve --contracts DIR`: resolves with its URL, its process and `stop()`. */
async function serve(dir, data) {
  const bin = join(root, "target", "debug", "preflight");
  // Another build may be replacing the binary just now: wait for it.
  for (let i = 0; i < 120 && !existsSync(bin); i++) await new Promise((r) => setTimeout(r, 1000));
  const args = ["serve", "--addr", "127.0.0.1:0", "--contracts", dir, "--www", "www", "--pkg", "pkg", "--log-format", "text"];
  const env = { ...process.env, DATABASE_URL: `sqlite://${data}/test.db`, RUST_LOG: "warn,prompt_preflight_server::registry=info" };
  for (let attempt = 1; ; attempt++) {
    const child = spawn(bin, args, { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    const log = [];
    child.stderr.on("data", (chunk) => log.push(String(chunk)));
    try {
      const url = await new Promise((resolve, reject) => {
        let out = "";
        const timer = setTimeout(() => reject(new Error(`serve did not start within 30 s:\n${out}${log.join("")}`)), 30_000);
        child.on("error", (error) => (clearTimeout(timer), reject(error)));
        child.stdout.on("data", (chunk) => {
          out += chunk;
          log.push(String(chunk));
          const found = out.match(/listening on (http:\/\/\S+)/);
          if (found) (clearTimeout(timer), resolve(found[1]));
        });
        child.on("exit", (code) => (clearTimeout(timer), reject(new Error(`serve exited with ${code}:\n${out}${log.join("")}`))));
      });
      const stop = () =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", resolve);
          child.kill("SIGINT");
        });
      return { url, child, log, stop };
    } catch (error) {
      // ETXTBSY while the binary is being written: try again shortly.
      if (attempt >= 5 || !["ETXTBSY", "ENOENT"].includes(error.code)) throw error;
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
}

before(async () => {
  temp = mkdtempSync(join(tmpdir(), "preflight-fetch-contract-"));
  contracts = join(temp, "contracts");
  cpSync(join(root, "contracts"), contracts, { recursive: true });
  server = await serve(contracts, temp);
});

after(async () => {
  await server?.stop();
  if (temp) rmSync(temp, { recursive: true, force: true });
});

/** A fetch that records each request's URL, `If-None-Match` and status, and calls the real one. */
function recording(inner = fetch) {
  const requests = [];
  const wrapped = async (url, init) => {
    const headers = new Headers(init?.headers);
    const seen = { url, ifNoneMatch: headers.get("if-none-match"), headers, status: null };
    requests.push(seen);
    const response = await inner(url, init);
    seen.status = response.status;
    return response;
  };
  return { fetch: wrapped, requests };
}

const keyOf = (version) => `${server.url}/v1/contracts/${ID}/${encodeURIComponent(version)}`;
const file = (version) => join(contracts, ID, `${version}.toml`);

/** Sends SIGHUP until the server shows the change (`done` resolves true), for up to 15 s. */
async function reload(done, what) {
  const until = Date.now() + 15_000;
  while (Date.now() < until) {
    server.child.kill("SIGHUP");
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 100));
      if (await done()) return;
    }
  }
  assert.fail(`the server did not reload (${what}) within 15 s:\n${server.log.join("").slice(-4000)}`);
}

const listed = async () => {
  const body = await (await fetch(`${server.url}/v1/contracts/${ID}/versions`)).json();
  return body.versions.map((v) => v.version);
};

// Shared by the tests below, in order: the caller's own cache, as a Map.
const cache = new Map();
let firstEtag;

test("the first fetch returns the contract and keeps it under its ETag", async () => {
  const { fetch: wrapped, requests } = recording();
  const fetched = await fetchContract(server.url, ID, "1.1.0", { fetch: wrapped, cache });
  assert.equal(fetched.source, "network");
  assert.equal(fetched.contract.id, ID);
  assert.equal(fetched.contract.version, "1.1.0");
  assert.match(fetched.etag, /^"[0-9a-f]{24}"$/);
  // The ETag is the server's own, and the copy is kept under the request URL.
  const direct = await fetch(keyOf("1.1.0"));
  assert.equal(direct.headers.get("etag"), fetched.etag);
  assert.equal(direct.headers.get("cache-control"), "no-cache");
  assert.deepStrictEqual([...cache.keys()], [keyOf("1.1.0")]);
  assert.equal(cache.get(keyOf("1.1.0")).etag, fetched.etag);
  assert.deepStrictEqual(JSON.parse(cache.get(keyOf("1.1.0")).body), fetched.contract);
  assert.equal(requests.length, 1);
  assert.equal(requests[0].url, keyOf("1.1.0"));
  assert.equal(requests[0].ifNoneMatch, null, "nothing was kept yet");
  assert.equal(requests[0].status, 200);
  // The package's core takes it as it is.
  assert.equal(new Preflight(JSON.stringify(fetched.contract)).contract.version, "1.1.0");
  firstEtag = fetched.etag;
});

test("the next fetch revalidates with If-None-Match and serves the kept copy on 304", async () => {
  const { fetch: wrapped, requests } = recording();
  const first = JSON.parse(cache.get(keyOf("1.1.0")).body);
  const fetched = await fetchContract(`${server.url}/`, ID, "1.1.0", { fetch: wrapped, cache, headers: { "x-client": "tests" } });
  assert.equal(fetched.source, "cache");
  assert.equal(fetched.etag, firstEtag);
  assert.deepStrictEqual(fetched.contract, first);
  assert.equal(requests.length, 1, "one request, revalidating");
  assert.equal(requests[0].url, keyOf("1.1.0"), "a trailing slash on the base changes nothing");
  assert.equal(requests[0].ifNoneMatch, firstEtag);
  assert.equal(requests[0].headers.get("x-client"), "tests", "the caller's headers are sent");
  assert.equal(requests[0].status, 304);
  // Each call gets its own copy: changing one does not change the cache.
  fetched.contract.description = "changed by the caller";
  const again = await fetchContract(server.url, ID, "1.1.0", { fetch: wrapped, cache });
  assert.equal(again.source, "cache");
  assert.deepStrictEqual(again.contract, first);
  assert.equal(requests.length, 2);
});

test("a 304 for another ETag than the kept copy's is not trusted: it asks again for the whole", async () => {
  // A confused cache on the way answers the first request with a 304 for another validator.
  let first = true;
  const { fetch: wrapped, requests } = recording(async (url, init) => {
    if (!first) return fetch(url, init);
    first = false;
    return new Response(null, { status: 304, headers: { etag: '"0123456789abcdef01234567"' } });
  });
  const fetched = await fetchContract(server.url, ID, "1.1.0", { fetch: wrapped, cache });
  assert.equal(fetched.source, "network");
  assert.equal(fetched.etag, firstEtag);
  assert.deepStrictEqual(requests.map((r) => [r.ifNoneMatch, r.status]), [
    [firstEtag, 304],
    [null, 200],
  ]);
});

test("a version removed from the folder is refused with a typed 404 and dropped from the cache", async () => {
  // Kept in the caller's Map and in the default in-memory cache.
  assert.equal((await fetchContract(server.url, ID, "1.0.0", { cache })).source, "network");
  assert.equal((await fetchContract(server.url, ID, "1.0.0")).source, "network");
  assert.equal((await fetchContract(server.url, ID, "1.0.0")).source, "cache");
  assert.ok(cache.has(keyOf("1.0.0")));

  rmSync(file("1.0.0"));
  await reload(async () => !(await listed()).includes("1.0.0"), "1.0.0 removed");
  assert.deepStrictEqual(await listed(), ["1.1.0", "2.0.0"]);

  for (const options of [{ cache }, {}]) {
    const { fetch: wrapped, requests } = recording();
    await assert.rejects(
      fetchContract(server.url, ID, "1.0.0", { ...options, fetch: wrapped }),
      (error) => {
        assert.ok(error instanceof ContractVersionError, String(error));
        assert.equal(error.name, "ContractVersionError");
        assert.equal(error.status, 404);
        assert.equal(error.code, "unknown_contract_version");
        assert.match(error.message, /has no version 1\.0\.0/);
        assert.match(error.hint, /listed version/);
        assert.equal(error.replacement, undefined);
        assert.equal(error.id, ID);
        assert.equal(error.version, "1.0.0");
        return true;
      },
    );
    assert.equal(requests.length, 1);
    assert.ok(requests[0].ifNoneMatch, "it asked with the kept copy's ETag");
    assert.equal(requests[0].status, 404);
  }
  assert.equal(cache.has(keyOf("1.0.0")), false, "the caller's cache no longer holds it");
  assert.ok(cache.has(keyOf("1.1.0")), "other versions stay");

  // Nothing can bring it back: with no copy kept, no ETag is sent, and a
  // 304 (which a correct server cannot send then) is an error, not the old copy.
  for (const options of [{ cache }, {}]) {
    const asked = [];
    const notModified = async (url, init) => {
      asked.push(new Headers(init.headers).get("if-none-match"));
      return new Response(null, { status: 304, headers: { etag: firstEtag } });
    };
    await assert.rejects(fetchContract(server.url, ID, "1.0.0", { ...options, fetch: notModified }), (error) => {
      assert.ok(error instanceof ContractFetchError, String(error));
      assert.equal(error.code, "bad_response");
      assert.equal(error.status, 304);
      return true;
    });
    assert.deepStrictEqual(asked, [null]);
  }
  assert.equal(cache.has(keyOf("1.0.0")), false);
});

test("a changed file gives a new ETag and the new content", async () => {
  const before = cache.get(keyOf("1.1.0"));
  assert.equal(before.etag, firstEtag);
  const description = "Upload your customer list and get a short analysis (edited by the fetchContract test).";
  const source = readFileSync(file("1.1.0"), "utf8");
  const edited = source.replace(/^description = ".*"$/m, `description = ${JSON.stringify(description)}`);
  assert.notEqual(edited, source);
  writeFileSync(file("1.1.0"), edited);
  await reload(async () => (await fetch(keyOf("1.1.0"))).headers.get("etag") !== firstEtag, "1.1.0 edited");

  const { fetch: wrapped, requests } = recording();
  const fetched = await fetchContract(server.url, ID, "1.1.0", { fetch: wrapped, cache });
  assert.equal(fetched.source, "network");
  assert.notEqual(fetched.etag, firstEtag);
  assert.equal(fetched.contract.description, description);
  assert.equal(requests[0].ifNoneMatch, firstEtag, "it revalidated the old copy");
  assert.equal(requests[0].status, 200);
  assert.deepStrictEqual(cache.get(keyOf("1.1.0")).etag, fetched.etag);

  const again = await fetchContract(server.url, ID, "1.1.0", { fetch: wrapped, cache });
  assert.equal(again.source, "cache");
  assert.equal(again.contract.description, description);
  assert.deepStrictEqual(requests.map((r) => [r.ifNoneMatch, r.status]), [
    [firstEtag, 200],
    [fetched.etag, 304],
  ]);
});

test("the id and the version are URL-encoded", async () => {
  const { fetch: wrapped, requests } = recording();
  await assert.rejects(fetchContract(server.url, ID, "1.1.0+build.5", { fetch: wrapped, cache }), (error) => {
    assert.ok(error instanceof ContractVersionError);
    assert.equal(error.status, 404);
    return true;
  });
  await assert.rejects(fetchContract(server.url, `${ID}/1.1.0`, "1.1.0", { fetch: wrapped, cache }), (error) => {
    assert.ok(error instanceof ContractVersionError);
    assert.equal(error.code, "unknown_contract");
    return true;
  });
  assert.deepStrictEqual(
    requests.map((r) => r.url.slice(server.url.length)),
    [`/v1/contracts/${ID}/1.1.0%2Bbuild.5`, `/v1/contracts/${ID}%2F1.1.0/1.1.0`],
  );
});

test("a retired version is refused with a typed 410 naming its replacement", async () => {
  const kept = await fetchContract(server.url, ID, "1.1.0", { cache });
  assert.equal(kept.source, "cache");
  const source = readFileSync(file("1.1.0"), "utf8");
  writeFileSync(file("1.1.0"), source.replace(/^deprecated = ".*"$/m, 'deprecated = "2020-01-01"\nsunset = "2020-06-01"'));
  await reload(async () => (await fetch(keyOf("1.1.0"))).status === 410, "1.1.0 retired");

  const { fetch: wrapped, requests } = recording();
  await assert.rejects(fetchContract(server.url, ID, "1.1.0", { fetch: wrapped, cache }), (error) => {
    assert.ok(error instanceof ContractVersionError, String(error));
    assert.equal(error.status, 410);
    assert.equal(error.code, "contract_version_retired");
    assert.equal(error.replacement, "2.0.0");
    assert.equal(error.docs, `/docs/${ID}/2.0.0`);
    assert.match(error.hint, /country/);
    assert.match(error.message, /retired on 2020-06-01/);
    return true;
  });
  assert.equal(requests[0].ifNoneMatch, kept.etag);
  assert.equal(cache.has(keyOf("1.1.0")), false);
  // Even offline: "cached" never serves a version the server has refused.
  const refused = fetchContract(server.url, ID, "1.1.0", { cache, offline: "cached" });
  await assert.rejects(refused, ContractVersionError);
});

test("a network error or a 5xx throws instead of serving the kept copy, unless asked to", async () => {
  const kept = await fetchContract(server.url, ID, "2.0.0", { cache });
  assert.equal(kept.source, "network");
  const failing = async () => {
    throw new TypeError("fetch failed");
  };
  await assert.rejects(fetchContract(server.url, ID, "2.0.0", { fetch: failing, cache }), (error) => {
    assert.ok(error instanceof ContractFetchError, String(error));
    assert.equal(error.code, "network_error");
    assert.equal(error.status, undefined);
    assert.equal(error.cause.message, "fetch failed");
    return true;
  });
  // A 5xx, as a proxy or a failing server sends it, is no answer either.
  const broken = async () =>
    Response.json({ error: { code: "internal", message: "internal error" } }, { status: 500 });
  await assert.rejects(fetchContract(server.url, ID, "2.0.0", { fetch: broken, cache }), (error) => {
    assert.ok(error instanceof ContractFetchError, String(error));
    assert.equal(error.status, 500);
    assert.equal(error.code, "internal");
    return true;
  });
  // The copy is kept (nothing said it is gone), and served only on request.
  assert.equal(cache.get(keyOf("2.0.0")).etag, kept.etag);
  const offline = await fetchContract(server.url, ID, "2.0.0", { fetch: broken, cache, offline: "cached" });
  assert.equal(offline.source, "offline");
  assert.equal(offline.error.code, "internal");
  assert.deepStrictEqual(offline.contract, kept.contract);

  // The real server, stopped: the real fetch fails.
  const url = server.url;
  await server.stop();
  await assert.rejects(fetchContract(url, ID, "2.0.0", { cache }), (error) => {
    assert.ok(error instanceof ContractFetchError, String(error));
    assert.equal(error.code, "network_error");
    assert.match(error.message, /could not reach the server/);
    return true;
  });
  const fallback = await fetchContract(url, ID, "2.0.0", { cache, offline: "cached" });
  assert.equal(fallback.source, "offline");
  assert.equal(fallback.error.code, "network_error");
  assert.equal(fallback.contract.version, "2.0.0");
  // Without a kept copy there is nothing to fall back on.
  await assert.rejects(fetchContract(url, ID, "2.0.0", { offline: "cached" }), ContractFetchError);
});
