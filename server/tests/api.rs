//! The HTTP API, driven in-process with `oneshot` (no socket).

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight::{Contract, Encoding, Input};
use prompt_preflight_server::{app, AppState, Registry};
use serde_json::{json, Value};
use std::path::Path;
use tower::ServiceExt;

const BOUNDARY: &str = "preflight-test-boundary-7MA4YWxkTrZu0gW";

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The version of `customer-list` a caller with no pin gets: the newest
/// stable one.
fn contract() -> Contract {
    Contract::parse(include_str!("../../contracts/customer-list/2.0.0.toml")).unwrap()
}

/// Sends one request to a fresh app; returns the status and the body,
/// parsed as JSON when it is JSON.
async fn send(request: Request<Body>) -> (StatusCode, Value) {
    let response = app(AppState::new(Registry::builtin()))
        .oneshot(request)
        .await
        .expect("the router is infallible");
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("application/json"));
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = if is_json {
        serde_json::from_slice(&bytes).expect("a JSON body")
    } else {
        Value::String(String::from_utf8_lossy(&bytes).into_owned())
    };
    (status, body)
}

async fn get(uri: &str) -> (StatusCode, Value) {
    send(Request::get(uri).body(Body::empty()).unwrap()).await
}

fn json_request(body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri("/v1/check")
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

async fn post_json(body: &Value) -> (StatusCode, Value) {
    send(json_request(body.to_string())).await
}

/// One part of a multipart form: (field name, file name, content).
type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

fn multipart_body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        match file_name {
            Some(file) => {
                body.extend_from_slice(
                    format!(
                        "Content-Disposition: form-data; name=\"{name}\"; filename=\"{file}\"\r\n\
                         Content-Type: application/octet-stream\r\n\r\n"
                    )
                    .as_bytes(),
                );
            }
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes(),
            ),
        }
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

async fn post_multipart(parts: &[Part<'_>]) -> (StatusCode, Value) {
    post_multipart_to("/v1/check", parts).await
}

async fn post_multipart_to(uri: &str, parts: &[Part<'_>]) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(Body::from(multipart_body(parts)))
        .unwrap();
    send(request).await
}

/// The report `prompt_preflight::check` makes for the same input, as JSON.
fn direct_report(tier: Option<&str>, input: &Input<'_>) -> Value {
    let checked = prompt_preflight::check(&contract(), tier, input).unwrap();
    serde_json::to_value(&checked.report).unwrap()
}

fn issue_codes(report: &Value) -> Vec<&str> {
    report["issues"]
        .as_array()
        .expect("issues is an array")
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect()
}

fn assert_error(status: StatusCode, body: &Value, expected: StatusCode, code: &str) {
    assert_eq!(status, expected, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    let message = body["error"]["message"].as_str().expect("a message");
    assert!(!message.is_empty());
}

#[tokio::test]
async fn healthz() {
    let (status, body) = get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body, "ok");
}

#[tokio::test]
async fn unknown_route_is_404() {
    for uri in ["/v1/nothing-here", "/nothing", "/v1"] {
        let (status, body) = get(uri).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
}

#[tokio::test]
async fn lists_the_builtin_contract_with_its_tiers() {
    let (status, body) = get("/v1/contracts").await;
    assert_eq!(status, StatusCode::OK);
    let list = body.as_array().expect("a list");
    let ids: Vec<&str> = list.iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["customer-list", "summarise-document"]);
    let c = &list[0];
    assert_eq!(c["id"], "customer-list");
    assert_eq!(c["version"], "2.0.0");
    let versions: Vec<&str> = c["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["1.0.0", "1.1.0", "2.0.0"]);
    assert_eq!(c["versions"][2]["breaking"], true);
    assert_eq!(c["versions"][0]["standing"], "deprecated");
    assert_eq!(c["default_tier"], "free");
    assert!(!c["description"].as_str().unwrap().is_empty());
    assert_eq!(c["tiers"]["free"]["max_input_tokens"], 2000);
    assert_eq!(c["tiers"]["paid"]["max_input_tokens"], 8000);
    assert_eq!(c["tiers"]["free"]["warn_at"], 0.8);
}

#[tokio::test]
async fn shows_a_contract_the_core_accepts() {
    let (status, body) = get("/v1/contracts/customer-list").await;
    assert_eq!(status, StatusCode::OK);
    let served = Contract::from_value(body).expect("the served contract is valid");
    assert_eq!(served, contract());
}

#[tokio::test]
async fn unknown_contract_is_404() {
    let (status, body) = get("/v1/contracts/no-such-contract").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "unknown_contract");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("no-such-contract"));

    let (status, body) = post_json(&json!({"contract": "nope", "text": "Hello world"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "unknown_contract");
}

#[tokio::test]
async fn ok_text_gets_a_report_and_a_payload() {
    let text = "Ada Lovelace signed up in March and upgraded to pro in May.";
    let (status, body) =
        post_json(&json!({"contract": "customer-list", "tier": "free", "text": text})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report = &body["report"];
    assert_eq!(report["ok"], true);
    assert_eq!(report["input"]["kind"], "text");
    assert_eq!(report["tokens"]["tier"], "free");
    assert_eq!(
        report["tokens"]["input"],
        Encoding::O200kBase.count(text).count
    );
    assert_eq!(report, &direct_report(Some("free"), &Input::Text(text)));

    let payload = &body["payload"];
    assert_eq!(payload["model"], "gpt-4o-mini");
    assert_eq!(payload["encoding"], "o200k_base");
    let messages = payload["messages"].as_array().unwrap();
    assert_eq!(messages[0]["role"], "system");
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "user");
    assert!(last["content"].as_str().unwrap().contains(text));
}

#[tokio::test]
async fn tier_is_optional() {
    let (status, body) =
        post_json(&json!({"contract": "customer-list", "text": "Hello world"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["report"]["tokens"]["tier"], "free");
    assert_eq!(body["report"]["tokens"]["input"], 2);
}

#[tokio::test]
async fn over_the_limit_has_no_payload() {
    let text = String::from_utf8(fixture("long_prose.txt")).unwrap();
    let (status, body) =
        post_json(&json!({"contract": "customer-list", "tier": "free", "text": text})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report = &body["report"];
    assert_eq!(report["ok"], false);
    assert_eq!(report["tokens"]["state"], "over");
    assert_eq!(issue_codes(report), ["over_token_limit"]);
    assert!(body["payload"].is_null(), "{}", body["payload"]);
    assert_eq!(report, &direct_report(Some("free"), &Input::Text(&text)));

    // The same text fits the paid plan.
    let (status, body) =
        post_json(&json!({"contract": "customer-list", "tier": "paid", "text": text})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["report"]["ok"], true);
    assert!(body["payload"].is_object());
}

#[tokio::test]
async fn unknown_tier_is_400() {
    let (status, body) =
        post_json(&json!({"contract": "customer-list", "tier": "gold", "text": "Hello"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "unknown_tier");
    assert!(body["error"]["message"].as_str().unwrap().contains("gold"));
}

#[tokio::test]
async fn malformed_json_is_400() {
    let (status, body) = send(json_request(r#"{"contract": "customer-list", "text": "#)).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn json_with_missing_or_unknown_fields_is_400() {
    for (request, field, message) in [
        (
            json!({"contract": "customer-list"}),
            "text",
            "the JSON has no `text` field; a request needs `contract` and `text`",
        ),
        (
            json!({"text": "Hello"}),
            "contract",
            "the JSON has no `contract` field; a request needs `contract` and `text`",
        ),
        (
            json!({"contract": "customer-list", "text": "Hello", "colour": "blue"}),
            "colour",
            "`colour` is not a field of this request; the fields are `contract`, `tier` and `text` (and, for /v1/prepare, `mode`, `question` and `overlap`)",
        ),
        (
            json!({"contract": "customer-list", "text": 42}),
            "text",
            "`text` must be a string",
        ),
    ] {
        let (status, body) = post_json(&request).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
        assert_eq!(body["error"]["field"], field, "{body}");
        assert_eq!(body["error"]["message"], message, "{body}");
    }
}

#[tokio::test]
async fn json_errors_never_use_the_libraries_words() {
    let bodies: [&[u8]; 4] = [
        br#"{"contract": "customer-list", "text": "#,
        br#"{"contract": "customer-list", "text": "Hi", "mode": "fast"}"#,
        br#"{"contract": "customer-list", "text": "Hi", "overlap": -1}"#,
        b"{\"contract\": \"customer-list\", \"text\": \"caf\xe9\"}",
    ];
    for body in bodies {
        let request = Request::builder()
            .method(Method::POST)
            .uri("/v1/prepare")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_vec()))
            .unwrap();
        let (status, reply) = send(request).await;
        assert_error(status, &reply, StatusCode::BAD_REQUEST, "bad_request");
        let message = reply["error"]["message"].as_str().unwrap();
        for serde in [
            "Failed to deserialize",
            "invalid type",
            "expected",
            "EOF",
            "variant",
        ] {
            assert!(!message.contains(serde), "{message}");
        }
    }
    // Non-UTF-8 JSON says what to do instead.
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/check")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(bodies[3].to_vec()))
        .unwrap();
    let (_, reply) = send(request).await;
    let message = reply["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("not UTF-8") && message.contains("multipart"),
        "{message}"
    );
}

#[tokio::test]
async fn json_without_content_type_is_400() {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/check")
        .body(Body::from(
            json!({"contract": "customer-list", "text": "Hello"}).to_string(),
        ))
        .unwrap();
    let (status, body) = send(request).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn get_on_check_is_405() {
    let (status, body) = get("/v1/check").await;
    assert_error(
        status,
        &body,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    );
    assert_eq!(
        body["error"]["message"],
        "/v1/check does not take GET requests"
    );
}

#[tokio::test]
async fn multipart_upload_reports_the_missing_column() {
    let csv = fixture("customers_missing_email.csv");
    let (status, body) = post_multipart(&[
        ("contract", None, b"customer-list"),
        ("tier", None, b"free"),
        ("file", Some("customers_missing_email.csv"), &csv),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report = &body["report"];
    assert_eq!(report["ok"], false);
    assert_eq!(report["input"]["kind"], "csv");
    assert_eq!(issue_codes(report), ["missing_column"]);
    assert_eq!(report["issues"][0]["at"]["column"], "email");
    assert!(body["payload"].is_null());
    let input = Input::File {
        name: Some("customers_missing_email.csv"),
        bytes: &csv,
    };
    assert_eq!(report, &direct_report(Some("free"), &input));
}

/// Workbooks that made calamine panic (a 500 before the pre-scan): a
/// report with `corrupt_file`, like any damaged file.
#[tokio::test]
async fn workbooks_that_crashed_the_reader_are_corrupt_files() {
    for file in [
        "sheet_xlsb_cells_empty_index.xlsb",
        "sheet_xlsb_workbook_record_overrun.xlsb",
        "sheet_xlsb_sheet_link_overrun.xlsb",
    ] {
        let bytes = fixture(file);
        let (status, body) = post_multipart(&[
            ("contract", None, b"customer-list"),
            ("file", Some(file), &bytes),
        ])
        .await;
        assert_eq!(status, StatusCode::OK, "{file}: {body}");
        let report = &body["report"];
        assert_eq!(issue_codes(report), ["corrupt_file"], "{file}");
        let message = report["issues"][0]["message"].as_str().unwrap();
        assert!(
            message.contains("an Excel binary workbook (.xlsb)"),
            "{message}"
        );
        assert!(body["payload"].is_null());
    }
    // The worker is fine: the next request is answered as before.
    let (status, _) = get("/healthz").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn multipart_fixtures_match_the_core() {
    for file in [
        "customers_ok.csv",
        "customers_semicolon.csv",
        "customers_ragged.csv",
        "customers_near_miss.csv",
        "customers_cp1252.csv",
        "customers_utf16.csv",
        "image.png",
        "empty.txt",
        "near_limit.txt",
    ] {
        let bytes = fixture(file);
        // No tier field: the default tier applies.
        let (status, body) = post_multipart(&[
            ("contract", None, b"customer-list"),
            ("file", Some(file), &bytes),
        ])
        .await;
        assert_eq!(status, StatusCode::OK, "{file}: {body}");
        let input = Input::File {
            name: Some(file),
            bytes: &bytes,
        };
        assert_eq!(body["report"], direct_report(None, &input), "{file}");
        assert_eq!(
            body["payload"].is_object(),
            body["report"]["ok"] == true,
            "{file}"
        );
    }
}

#[tokio::test]
async fn multipart_text_field_is_checked_as_text() {
    let (status, body) = post_multipart(&[
        ("contract", None, b"customer-list"),
        ("tier", None, b""),
        ("text", None, b"Hello world"),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["report"]["input"]["kind"], "text");
    assert_eq!(
        body["report"]["tokens"]["tier"], "free",
        "an empty tier means the default"
    );
    assert_eq!(
        body["report"],
        direct_report(None, &Input::Text("Hello world"))
    );
}

#[tokio::test]
async fn multipart_without_a_file_is_400() {
    let (status, body) = post_multipart(&[
        ("contract", None, b"customer-list"),
        ("tier", None, b"free"),
    ])
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(body["error"]["message"].as_str().unwrap().contains("file"));
}

#[tokio::test]
async fn multipart_without_a_contract_is_400() {
    let (status, body) = post_multipart(&[("file", Some("a.csv"), b"name,email\n")]).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("contract"));
}

#[tokio::test]
async fn multipart_with_an_unknown_field_is_400() {
    let (status, body) = post_multipart(&[
        ("contract", None, b"customer-list"),
        ("colour", None, b"blue"),
        ("file", Some("a.csv"), b"name,email\n"),
    ])
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("colour"));
}

#[tokio::test]
async fn multipart_unknown_tier_is_400() {
    let (status, body) = post_multipart(&[
        ("contract", None, b"customer-list"),
        ("tier", None, b"gold"),
        ("file", Some("a.csv"), b"name,email\nAda,ada@example.com\n"),
    ])
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "unknown_tier");
}

/// `MAX_BODY_BYTES` (26 MiB) is not exported, so send a body above it.
const OVERSIZED: usize = 27 * 1024 * 1024;

#[tokio::test]
async fn oversized_json_body_is_413() {
    let mut body = br#"{"contract":"customer-list","text":""#.to_vec();
    body.resize(OVERSIZED, b'a');
    body.extend_from_slice(br#""}"#);
    let (status, body) = send(json_request(body)).await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
    assert_eq!(
        body["error"]["message"],
        "the upload is larger than the 26 MiB this server accepts"
    );
}

#[tokio::test]
async fn oversized_multipart_upload_is_413() {
    let big = vec![b'a'; OVERSIZED];
    let (status, body) = post_multipart(&[
        ("contract", None, b"customer-list"),
        ("file", Some("big.csv"), &big),
    ])
    .await;
    assert_error(status, &body, StatusCode::PAYLOAD_TOO_LARGE, "too_large");
}

#[tokio::test]
async fn file_over_the_core_limit_but_under_the_body_limit_is_a_report() {
    // The core accepts 25 MiB; the body limit leaves room for the envelope.
    let big = vec![b'a'; 25 * 1024 * 1024 + 1];
    let (status, body) = post_multipart(&[
        ("contract", None, b"customer-list"),
        ("file", Some("big.csv"), &big),
    ])
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let report = &body["report"];
    assert_eq!(report["ok"], false);
    assert_eq!(issue_codes(report), ["too_large"]);
    assert!(body["payload"].is_null());
    let input = Input::File {
        name: Some("big.csv"),
        bytes: &big,
    };
    assert_eq!(report, &direct_report(None, &input));
}

async fn post_prepare(body: &Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(Method::POST)
        .uri("/v1/prepare")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap();
    send(request).await
}

/// Long text of distinct sentences.
fn long_text(paragraphs: usize) -> String {
    (0..paragraphs)
        .map(|p| format!("Paragraph {p} says the harbour report number {p} was checked by team {}. It was filed on day {}.", p % 7, p * 3))
        .collect::<Vec<_>>()
        .join("\n\n")
}

#[tokio::test]
async fn prepare_splits_for_a_map_reduce_contract_and_matches_the_core() {
    let text = long_text(300);
    let (status, body) = post_prepare(&json!({
        "contract": "summarise-document", "text": text, "mode": "split"
    }))
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["plan"]["kind"], "map_reduce");
    let parts = body["parts"].as_array().unwrap();
    assert!(parts.len() > 2);
    assert!(parts.iter().all(|p| p["tokens"].as_u64().unwrap() <= 2000));
    assert_eq!(body["plan"]["requests"], parts.len() as u64 + 1);
    let contract = Contract::parse(include_str!(
        "../../contracts/summarise-document/2.0.0.toml"
    ))
    .unwrap();
    let direct = prompt_preflight::prepare(
        &contract,
        None,
        &Input::Text(&text),
        &prompt_preflight::PrepareOptions {
            mode: prompt_preflight::Mode::Split,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(body, serde_json::to_value(&direct).unwrap());
}

#[tokio::test]
async fn prepare_refuses_an_over_limit_payload_whatever_the_client_says() {
    // Trimming cannot bring this under the free plan's 2,000 tokens, and
    // the customer list needs its input in one request.
    let (status, body) = post_prepare(&json!({
        "contract": "customer-list", "tier": "free", "text": long_text(300), "mode": "split"
    }))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["ok"], false);
    assert_eq!(body["plan"]["kind"], "refuse");
    assert!(body["plan"]["reason"]
        .as_str()
        .unwrap()
        .contains("whole input"));
    assert_eq!(body["plan"]["refusal"], "needs_whole_input");
    let (status, body) = post_prepare(&json!({
        "contract": "customer-list", "text": long_text(300)
    }))
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["issues"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["code"] == "over_token_limit"));
}

#[tokio::test]
async fn prepare_takes_a_file_with_mode_and_question_fields() {
    let mut csv = String::from("name,email,secret\n");
    for i in 0..50 {
        csv.push_str(&format!("Customer {i},c{i}@example.com,token-{i}\n"));
    }
    let (status, body) = post_multipart_to(
        "/v1/prepare",
        &[
            ("contract", None, b"customer-list@1"),
            ("file", Some("c.csv"), csv.as_bytes()),
            ("mode", None, b"relevant"),
            ("question", None, b"Customer 7"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["mode"], "relevant");
    let content = body["parts"][0]["content"].as_str().unwrap();
    assert!(content.starts_with("name,email\n") && !content.contains("token-"));
    assert_eq!(body["manifest"]["steps"][0]["kind"], "columns_removed");
    assert_eq!(body["upload"]["name"], "prepared.csv");

    let (status, body) = post_multipart_to(
        "/v1/prepare",
        &[
            ("contract", None, b"customer-list"),
            ("text", None, b"hi"),
            ("mode", None, b"shrink"),
        ],
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");

    let text = long_text(300);
    let (status, body) = post_multipart_to(
        "/v1/prepare",
        &[
            ("contract", None, b"summarise-document"),
            ("text", None, text.as_bytes()),
            ("mode", None, b"split"),
            ("overlap", None, b"50"),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let parts = body["parts"].as_array().unwrap();
    assert!(
        parts[1]["own_start"].as_u64() > parts[1]["start"].as_u64(),
        "the second part repeats some of the first"
    );
    let (status, body) = post_multipart_to(
        "/v1/prepare",
        &[
            ("contract", None, b"summarise-document"),
            ("text", None, b"hi"),
            ("overlap", None, b"many"),
        ],
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
}

#[tokio::test]
async fn check_does_not_take_prepare_options() {
    let (status, body) =
        post_json(&json!({"contract": "customer-list", "text": "hi", "mode": "split"})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "bad_request");
}

/// Sends one request to a fresh app and returns the whole response.
async fn raw(uri: &str) -> axum::response::Response {
    app(AppState::new(Registry::builtin()))
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .expect("the router is infallible")
}

#[tokio::test]
async fn docs_pages_are_html_with_an_anchor_per_reachable_code() {
    let contract = contract();
    // `/docs/{id}` sends the reader to the version a caller with no pin gets.
    let response = raw("/docs/customer-list").await;
    assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
    let page = format!("/docs/customer-list/{}", contract.version);
    assert_eq!(response.headers()[header::LOCATION], page.as_str());

    let response = raw(&page).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/html; charset=utf-8"
    );
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let html = String::from_utf8(bytes.to_vec()).unwrap();
    assert!(html.starts_with("<!doctype html>"));
    // The same page `preflight docs` writes, as HTML: each reachable code
    // has its anchor (what issue links point at), each column its row.
    for code in prompt_preflight::docs::reachable_codes(&contract) {
        let anchor = format!("<a id=\"{}\"></a>", code.as_str());
        assert!(html.contains(&anchor), "no {anchor} on the page");
    }
    let table = contract
        .input
        .table
        .as_ref()
        .expect("customer-list takes a table");
    for column in &table.columns {
        assert!(
            html.contains(&format!("<code>{}</code>", column.name)),
            "no row for {}",
            column.name
        );
    }
    assert!(!html.contains("&lt;a id="), "anchors are markup, not text");

    // An older version has its own page; an unknown one is the API's 404.
    let response = raw("/docs/customer-list/1.0.0").await;
    assert_eq!(response.status(), StatusCode::OK);
    // Errors are never cached (a kept 404 would outlive the version's return).
    let response = raw("/docs/customer-list/9.9.9").await;
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let (status, body) = get("/docs/customer-list/9.9.9").await;
    assert_error(
        status,
        &body,
        StatusCode::NOT_FOUND,
        "unknown_contract_version",
    );
    let (status, body) = get("/docs/no-such-contract/1.0.0").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "unknown_contract");
    let (status, body) = get("/docs/no-such-contract").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "unknown_contract");
}
