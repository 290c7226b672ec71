// The official `openai` SDK (npm) against `preflight serve`'s
// OpenAI-compatible /v1/chat/completions, over real HTTP: `model` names a
// contract, a plain and a streamed answer (a labelled dry run: no key is
// set), and input the check refuses raised as the SDK's BadRequestError
// with our issue code and the report beside it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import OpenAI from "openai";
import { startServer } from "./support.mjs";

let server;
let client;

before(async () => {
  server = await startServer();
  // maxRetries: 0, so a refusal is seen once (the SDK would not retry it anyway: x-should-retry).
  client = new OpenAI({ baseURL: `${server.url}/v1`, apiKey: server.key, maxRetries: 0 });
});

after(async () => {
  await server?.stop();
});

const NOTES = "Ada renewed early and asked about the pro plan; Grace wants audit logs.";

test("a chat completion through the proxy runs the contract", async () => {
  const completion = await client.chat.completions.create({
    model: "customer-list",
    messages: [{ role: "user", content: NOTES }],
  });
  assert.equal(completion.object, "chat.completion");
  assert.equal(completion.model, "gpt-4o-mini", "the contract's model answered");
  const answer = completion.choices[0].message.content;
  assert.match(answer, /^\[Dry run: no model was called\.\]/, "no key: a labelled dry run, never a pretend answer");
  assert.equal(completion.choices[0].finish_reason, "stop");
  assert.equal(completion.preflight.dry_run, true);
  assert.equal(completion.preflight.contract.id, "customer-list");
  assert.ok(completion.preflight.tokens.input > 0);

  // A pinned version, and one that does not exist.
  const pinned = await client.chat.completions.create({ model: "customer-list@1.0.0", messages: [{ role: "user", content: NOTES }] });
  assert.equal(pinned.preflight.contract.version, "1.0.0");
  await assert.rejects(
    client.chat.completions.create({ model: "customer-list@9.9.9", messages: [{ role: "user", content: NOTES }] }),
    (error) => error instanceof OpenAI.NotFoundError && error.code === "model_not_found",
  );
});

test("a streamed completion ends with [DONE] and carries the usage asked for", async () => {
  const stream = await client.chat.completions.create({
    model: "customer-list",
    messages: [{ role: "user", content: NOTES }],
    stream: true,
    stream_options: { include_usage: true },
  });
  let text = "";
  let finish = null;
  let usage = null;
  for await (const chunk of stream) {
    for (const choice of chunk.choices) {
      text += choice.delta?.content ?? "";
      finish = choice.finish_reason ?? finish;
    }
    usage = chunk.usage ?? usage;
  }
  assert.match(text, /^\[Dry run: no model was called\.\]/);
  assert.equal(finish, "stop");
  assert.ok(usage && "prompt_tokens" in usage, JSON.stringify(usage));
  // The raw stream ends with the terminator the SDKs expect.
  const raw = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.key}` },
    body: JSON.stringify({ model: "customer-list", messages: [{ role: "user", content: NOTES }], stream: true }),
  });
  assert.equal(raw.headers.get("content-type"), "text/event-stream");
  assert.ok((await raw.text()).endsWith("data: [DONE]\n\n"));
});

test("input the check refuses is the SDK's BadRequestError with our code and the report", async () => {
  await assert.rejects(
    client.chat.completions.create({
      model: "customer-list",
      messages: [{ role: "system", content: "ignored: the contract has its own" }, { role: "user", content: "Which customers asked about discounts?" }],
    }),
    (error) => {
      assert.ok(error instanceof OpenAI.BadRequestError, error.constructor.name);
      assert.equal(error.status, 400);
      assert.equal(error.code, "question_without_data");
      assert.equal(error.type, "invalid_request_error");
      assert.match(error.message, /1 problem to fix before sending\. This looks like a question/);
      assert.equal(error.headers.get("x-should-retry"), "false");
      return true;
    },
  );
  // The report sits beside the error in the body.
  const raw = await fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${server.key}` },
    body: JSON.stringify({ model: "customer-list", messages: [{ role: "user", content: "" }] }),
  });
  assert.equal(raw.status, 400);
  const body = await raw.json();
  assert.equal(body.error.code, "empty_input");
  assert.equal(body.report.verdict.state, "empty");
});

/** A server whose OpenAI client talks to the fake provider with `key`. */
async function withFake(key, work, env = {}) {
  const live = await startServer({ openaiKey: key, env });
  try {
    await work(new OpenAI({ baseURL: `${live.url}/v1`, apiKey: live.key, maxRetries: 0 }));
  } finally {
    await live.stop();
  }
}

test("through the fake provider, the answer streams in pieces and equals the whole one", async () => {
  await withFake("fake-key-1", async (sdk) => {
    const whole = await sdk.chat.completions.create({ model: "customer-list", messages: [{ role: "user", content: NOTES }] });
    const expected = whole.choices[0].message.content;
    assert.match(expected, /^Fake answer from gpt-4o-mini/);
    assert.equal(whole.preflight.dry_run, false);
    const stream = await sdk.chat.completions.create({
      model: "customer-list",
      messages: [{ role: "user", content: NOTES }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const pieces = [];
    let usage = null;
    for await (const chunk of stream) {
      for (const choice of chunk.choices) if (choice.delta?.content) pieces.push(choice.delta.content);
      usage = chunk.usage ?? usage;
    }
    assert.ok(pieces.length > 3, `streamed word by word: ${pieces.length} pieces`);
    assert.equal(pieces.join(""), expected);
    assert.equal(usage.completion_tokens, whole.usage.completion_tokens);
  });
});

test("a stream that breaks midway is the SDK's error, not a clean end", async () => {
  await withFake("fake-stream-drop", async (sdk) => {
    const stream = await sdk.chat.completions.create({ model: "customer-list", messages: [{ role: "user", content: NOTES }], stream: true });
    let text = "";
    await assert.rejects(
      (async () => {
        for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? "";
      })(),
      (error) => {
        assert.ok(error instanceof OpenAI.APIError, error.constructor.name);
        assert.match(error.message, /unavailable/);
        return true;
      },
    );
    assert.equal(text, "Fake answer ", "what came before the break was passed on");
  });
});

test("a provider rate limit past the deadline is the SDK's RateLimitError with our retry headers", async () => {
  await withFake("fake-rate-limited", async (sdk) => {
    await assert.rejects(
      sdk.chat.completions.create({ model: "customer-list", messages: [{ role: "user", content: NOTES }], stream: true }),
      (error) => {
        assert.ok(error instanceof OpenAI.RateLimitError, error.constructor.name);
        assert.equal(error.code, "rate_limited");
        assert.equal(error.headers.get("retry-after"), "7");
        assert.equal(error.headers.get("retry-after-ms"), "7000");
        assert.match(error.message, /high demand/);
        assert.doesNotMatch(error.message, /Rate limit reached for requests/, "never the provider's raw words");
        return true;
      },
    );
  }, { PREFLIGHT_RUN_DEADLINE_SECONDS: "3" });
});
