//! `POST /v1/run` end to end against the fake provider over real HTTP:
//! a long input answered in parts and combined; a cut-off answer
//! continued, asked shorter or flagged as the contract says; an answer
//! checked against the contract's output schema and re-asked once; and
//! the run as Server-Sent Events, with its waits (and their ETA) before
//! the answer, and a stream that breaks ending in an `error` event.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight::Contract;
use prompt_preflight_server::chat::OpenAiChat;
use prompt_preflight_server::fake::{chat as cases, openai, FakeProvider};
use prompt_preflight_server::service::call::Policy;
use prompt_preflight_server::{app, AppState, Provider, ProviderEndpoint, Registry};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;
use tower::ServiceExt;

const NOTES: &str = "Ada renewed early and asked about the pro plan; Grace wants audit logs.";

fn contract(extra: &str) -> Contract {
    Contract::parse(&format!(
        r#"
        id = "notes"
        version = "1.0.0"
        [model]
        name = "gpt-4o-mini"
        [prompt]
        system = "Summarise the notes."
        template = "Notes:\n{{{{input}}}}"
        [tiers.free]
        max_input_tokens = 2000
        max_output_tokens = 200
        {extra}
        "#
    ))
    .unwrap()
}

fn state(fake: &FakeProvider, key: &str, contracts: Vec<Contract>) -> AppState {
    let mut registry = Registry::builtin();
    for c in contracts {
        registry.insert(c).unwrap();
    }
    let endpoint = ProviderEndpoint {
        api_key: Some(key.into()),
        base_url: format!("{}/v1", fake.base_url()),
    };
    AppState::new(registry)
        .with_chat(
            Provider::Openai,
            Arc::new(OpenAiChat::new(reqwest::Client::new(), endpoint)),
        )
        .with_run_policy(Policy {
            deadline: Duration::from_secs(10),
            base_delay: Duration::from_millis(1),
            ..Policy::default()
        })
}

async fn post(state: AppState, body: Value, stream: bool) -> (StatusCode, String) {
    let state = support::keyed(state).await;
    let mut request = Request::post("/v1/run")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-api-key", support::key_of(&state));
    if stream {
        request = request.header(header::ACCEPT, "text/event-stream");
    }
    let response = app(state)
        .oneshot(request.body(Body::from(body.to_string())).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

async fn run(state: AppState, contract: &str, text: &str) -> (StatusCode, Value) {
    let (status, body) = post(state, json!({"contract": contract, "text": text}), false).await;
    (status, serde_json::from_str(&body).unwrap())
}

fn steps(body: &Value) -> Vec<String> {
    body["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["step"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn a_long_input_is_answered_in_parts_and_combined() {
    let fake = FakeProvider::start().await;
    let paragraph = "The committee met on Tuesday to review the budget, the hiring plan and the roadmap for the next quarter. ";
    let text = paragraph.repeat(120); // about 2,500 tokens; the free tier takes 2,000
    let (status, body) = run(
        state(&fake, "fake-key-1", vec![]),
        "summarise-document",
        &text,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let parts = body["plan"]["parts"].as_u64().unwrap() as usize;
    assert!(parts >= 2, "{body}");
    assert_eq!(body["plan"]["kind"], "map_reduce");
    let mut expected: Vec<String> = (1..=parts)
        .map(|i| format!("part {i} of {parts}"))
        .collect();
    expected.push("combine".into());
    assert_eq!(steps(&body), expected);
    assert!(body["summary"].as_str().unwrap().contains(&format!(
        "answered in {parts} parts and the answers were combined"
    )));
    // The combining request got every part's answer in the reduce template.
    let last = fake.requests().last().unwrap().json().unwrap();
    let combine = last["messages"][1]["content"].as_str().unwrap();
    assert!(combine.starts_with("These are summaries of consecutive parts"));
    assert!(combine.contains(&format!(
        "Part {parts} of {parts}:\nFake answer from gpt-4o-mini"
    )));
    // Every call's tokens are counted.
    let sum: u64 = body["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["usage"]["input"].as_u64().unwrap())
        .sum();
    assert_eq!(body["usage"]["input"], sum);
}

#[tokio::test]
async fn a_cut_off_answer_is_continued_shortened_or_flagged() {
    let fake = FakeProvider::start().await;
    let cont = contract("");
    let (status, body) = run(
        state(&fake, cases::LENGTH_ONCE_KEY, vec![cont.clone()]),
        "notes",
        NOTES,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(steps(&body), ["answer", "continuation 1"]);
    assert_eq!(body["answer"]["truncated"], false);
    let text = body["answer"]["text"].as_str().unwrap();
    assert_eq!(
        text.matches("Fake answer").count(),
        2,
        "the pieces are joined: {text}"
    );
    assert!(body["summary"]
        .as_str()
        .unwrap()
        .contains("asked to go on (1 more call)"));
    let sent = fake.requests().last().unwrap().json().unwrap();
    assert_eq!(sent["messages"][2]["role"], "assistant");
    assert!(sent["messages"][3]["content"]
        .as_str()
        .unwrap()
        .starts_with("Your answer was cut off."));

    // Always cut: continued as often as allowed, then flagged.
    let (_, body) = run(state(&fake, openai::LENGTH_KEY, vec![cont]), "notes", NOTES).await;
    assert_eq!(steps(&body), ["answer", "continuation 1", "continuation 2"]);
    assert_eq!(body["answer"]["truncated"], true);
    assert!(body["summary"].as_str().unwrap().contains("still cut off"));

    let shorter = contract("[recovery]\non_truncated = \"shorter\"");
    let fake = FakeProvider::start().await; // "once" again
    let (_, body) = run(
        state(&fake, cases::LENGTH_ONCE_KEY, vec![shorter]),
        "notes",
        NOTES,
    )
    .await;
    assert_eq!(steps(&body), ["answer", "shorter"]);
    assert_eq!(body["answer"]["truncated"], false);
    assert_eq!(
        body["answer"]["text"]
            .as_str()
            .unwrap()
            .matches("Fake answer")
            .count(),
        1
    );
    let sent = fake.requests().last().unwrap().json().unwrap();
    assert!(sent["messages"][1]["content"]
        .as_str()
        .unwrap()
        .contains("at most 120 words"));

    let flag = contract("[recovery]\non_truncated = \"flag\"");
    let (_, body) = run(state(&fake, openai::LENGTH_KEY, vec![flag]), "notes", NOTES).await;
    assert_eq!(steps(&body), ["answer"]);
    assert_eq!(body["answer"]["truncated"], true);
    assert!(body["summary"]
        .as_str()
        .unwrap()
        .contains("the end is missing"));
}

const SCHEMA: &str = r#"
    [output]
    format = "json"
    schema = { type = "object", required = ["summary", "words"], properties = { summary = { type = "string" }, words = { type = "integer" } } }
"#;

#[tokio::test]
async fn the_answer_is_checked_and_re_asked_once() {
    let fake = FakeProvider::start().await;
    let json_contract = contract(SCHEMA);
    let (_, body) = run(
        state(&fake, cases::JSON_KEY, vec![json_contract.clone()]),
        "notes",
        NOTES,
    )
    .await;
    assert_eq!(body["answer"]["output"]["ok"], true, "{body}");
    assert_eq!(body["answer"]["output"]["reasked"], false);
    let parsed = &body["answer"]["output"]["json"];
    let words = parsed["words"].as_u64().unwrap();
    assert_eq!(
        parsed["summary"],
        format!("Fake answer from gpt-4o-mini to {words} words.")
    );
    assert_eq!(steps(&body), ["answer"]);

    // Prose first: re-asked with what was wrong, and the second passes.
    let (_, body) = run(
        state(&fake, cases::JSON_SECOND_KEY, vec![json_contract.clone()]),
        "notes",
        NOTES,
    )
    .await;
    assert_eq!(steps(&body), ["answer", "re-ask"]);
    assert_eq!(body["answer"]["output"]["ok"], true);
    assert_eq!(body["answer"]["output"]["reasked"], true);
    let reask = fake.requests().last().unwrap().json().unwrap();
    let told = reask["messages"][3]["content"].as_str().unwrap();
    assert!(
        told.contains("it is not valid JSON") && told.contains("matches this JSON Schema"),
        "{told}"
    );
    // Both calls are charged and shown.
    let a = &body["attempts"];
    assert_eq!(
        body["answer"]["usage"]["output"],
        a[0]["usage"]["output"].as_u64().unwrap() + a[1]["usage"]["output"].as_u64().unwrap()
    );

    // Never JSON: returned flagged, with the reason.
    let (status, body) = run(
        state(&fake, "fake-key-1", vec![json_contract]),
        "notes",
        NOTES,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["answer"]["output"]["ok"], false);
    assert!(body["answer"]["output"]["reason"]
        .as_str()
        .unwrap()
        .starts_with("it is not valid JSON"));
    assert!(body["summary"]
        .as_str()
        .unwrap()
        .contains("still did not have the expected format"));

    // No re-ask when the contract says so.
    let no_reask = contract(&format!("{SCHEMA}\nreask = false"));
    let (_, body) = run(state(&fake, "fake-key-1", vec![no_reask]), "notes", NOTES).await;
    assert_eq!(steps(&body), ["answer"]);
    assert_eq!(body["answer"]["output"]["ok"], false);
}

/// Parses a Server-Sent Events body into (event, data) pairs.
fn parse_sse(body: &str) -> Vec<(String, Value)> {
    body.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.trim_start());
                }
            }
            Some((name?, serde_json::from_str(&data).ok()?))
        })
        .collect()
}

#[tokio::test]
async fn the_run_streams_its_waits_and_its_answer() {
    let fake = FakeProvider::start().await;
    let body = json!({"contract": "customer-list", "text": NOTES});
    let (status, sse) = post(
        state(&fake, openai::RATE_LIMITED_ONCE_KEY, vec![]),
        body.clone(),
        true,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let events = parse_sse(&sse);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    let deltas = names.iter().filter(|n| **n == "delta").count();
    assert_eq!(&names[..3], ["attempt", "waiting", "attempt"], "{sse}");
    assert!(deltas > 3, "the answer comes in pieces: {names:?}");
    assert_eq!(names.last(), Some(&"done"));
    let waiting = &events[1].1;
    assert_eq!(waiting["class"], "rate_limited");
    assert_eq!(waiting["wait_ms"], 50, "the provider's hint");
    assert!(waiting["message"]
        .as_str()
        .unwrap()
        .starts_with("We're experiencing high demand."));
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    let done = &events.last().unwrap().1;
    assert_eq!(done["answer"]["text"], text, "the pieces make the answer");
    assert_eq!(done["attempts"].as_array().unwrap().len(), 2);

    // A stream that breaks after its first words ends in `error`, never `done`.
    let (_, sse) = post(state(&fake, cases::STREAM_DROP_KEY, vec![]), body, true).await;
    let events = parse_sse(&sse);
    let (name, error) = events.last().unwrap();
    assert_eq!(name, "error", "{sse}");
    assert_eq!(error["error"]["code"], "provider_unavailable");
    assert!(!events.iter().any(|(n, _)| n == "done"));
    assert_eq!(
        error["attempts"].as_array().unwrap().len(),
        1,
        "no retry after text was sent"
    );
    assert_eq!(error["attempts"][0]["usage"]["counted_by_us"], true);
}

#[tokio::test]
async fn a_map_reduce_stream_shows_its_parts() {
    let fake = FakeProvider::start().await;
    let text =
        "The committee met on Tuesday to review the budget and the hiring plan. ".repeat(200);
    let body = json!({"contract": "summarise-document", "text": text});
    let (_, sse) = post(state(&fake, "fake-key-1", vec![]), body, true).await;
    let events = parse_sse(&sse);
    let parts: Vec<&Value> = events
        .iter()
        .filter(|(n, _)| n == "part")
        .map(|(_, d)| d)
        .collect();
    let of = parts[0]["of"].as_u64().unwrap();
    assert!(of >= 2);
    assert_eq!(
        parts.len() as u64,
        2 * of,
        "started and answered, for each part"
    );
    assert!(parts.iter().filter(|p| p["state"] == "answered").count() as u64 == of);
    assert_eq!(events.last().unwrap().0, "done");
}

#[tokio::test]
async fn our_own_limit_for_a_provider_queues_what_would_wait_past_the_deadline() {
    use prompt_preflight_server::config::ProviderLimits;
    use std::collections::BTreeMap;
    let fake = FakeProvider::start().await;
    let limits = BTreeMap::from([(
        Provider::Openai,
        ProviderLimits {
            rpm: Some(1),
            ..ProviderLimits::default()
        },
    )]);
    let state = state(&fake, "fake-key-1", vec![]).with_limits(&limits);
    let (status, _) = run(state.clone(), "customer-list", NOTES).await;
    assert_eq!(status, StatusCode::OK);
    // The minute's one request is spent: the next would wait a minute,
    // past the 10 s deadline, so it is queued as a job (202), uncalled,
    // rather than held open or refused.
    fake.take_requests();
    let (status, body) = post(
        state,
        json!({"contract": "customer-list", "text": NOTES}),
        false,
    )
    .await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["job"]["status"], "queued");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Your request is queued"),
        "{body}"
    );
    assert!(fake.requests().is_empty(), "the provider was not called");
}
