//! Contract versions through the API, on SQLite and PostgreSQL: pins and
//! their stickiness, minor and major releases, versions named in the
//! request, deprecation headers, sunset refusal, upgrades (with a dry
//! run), exact versions with ETags, and hot reload of the contracts folder
//! (a bad file leaves the running versions).

mod support;

use axum::body::Body;
use axum::http::{header, HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use prompt_preflight_server::registry::{Contracts, RegistryError};
use prompt_preflight_server::store::Store;
use prompt_preflight_server::{app, AppState, Registry};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;
use tower::ServiceExt;

fn version(number: &str, free_limit: u64, release: &str) -> String {
    format!(
        r#"
id = "notes"
version = "{number}"
description = "Summarise meeting notes."
[model]
name = "gpt-4o-mini"
[tiers.free]
max_input_tokens = {free_limit}
[release]
{release}
"#
    )
}

fn write(dir: &Path, number: &str, text: &str) {
    std::fs::create_dir_all(dir.join("notes")).unwrap();
    std::fs::write(dir.join("notes").join(format!("{number}.toml")), text).unwrap();
}

const V2_RELEASE: &str = r#"changes = ["Shorter inputs on the free plan."]
breaking = true
migration = "Send at most 1,000 tokens per request on the free plan."
"#;

struct Server {
    state: AppState,
    store: Store,
    contracts: Arc<Contracts>,
    dir: tempfile::TempDir,
}

async fn server(url: &str, files: &[(&str, String)]) -> Server {
    let dir = tempfile::tempdir().unwrap();
    for (number, text) in files {
        write(dir.path(), number, text);
    }
    let contracts = Arc::new(Contracts::from_dir(dir.path()).unwrap());
    let store = Store::open(url).await.unwrap();
    let state = AppState::new(Registry::default())
        .with_contracts(contracts.clone())
        .with_store(store.clone());
    Server {
        state,
        store,
        contracts,
        dir,
    }
}

async fn send(state: &AppState, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = app(state.clone()).oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    (status, headers, body)
}

fn post(path: &str, key: Option<&str>, body: Value) -> Request<Body> {
    let mut r = Request::post(path).header(header::CONTENT_TYPE, "application/json");
    if let Some(key) = key {
        r = r.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    r.body(Body::from(body.to_string())).unwrap()
}

fn get(path: &str, key: Option<&str>) -> Request<Body> {
    let mut r = Request::get(path);
    if let Some(key) = key {
        r = r.header("x-api-key", key);
    }
    r.body(Body::empty()).unwrap()
}

/// Checks a short text on `contract`; returns the version it ran on, the
/// headers and the body.
async fn check(state: &AppState, key: Option<&str>, contract: &str) -> (String, HeaderMap, Value) {
    let (status, headers, body) = send(
        state,
        post(
            "/v1/check",
            key,
            json!({"contract": contract, "text": "Ada renewed early."}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let version = headers["x-contract-version"].to_str().unwrap().to_owned();
    assert_eq!(body["contract"]["version"], version.as_str(), "{body}");
    assert_eq!(body["report"]["contract"]["version"], version.as_str());
    (version, headers, body)
}

#[tokio::test]
async fn pins_stick_move_with_minor_releases_and_wait_for_an_upgrade_to_a_major_one() {
    for (db, url) in support::databases().await {
        let s = server(&url, &[("1.0.0", version("1.0.0", 2000, ""))]).await;
        let ada = s
            .store
            .create_key("ada", "free", false)
            .await
            .unwrap()
            .secret;
        let bob = s
            .store
            .create_key("bob", "free", false)
            .await
            .unwrap()
            .secret;

        // The first request pins Ada to the newest stable version.
        let (v, _, body) = check(&s.state, Some(&ada), "notes").await;
        assert_eq!(v, "1.0.0", "{db}");
        assert_eq!(body["contract"]["chosen"]["kind"], "new_pin", "{db}");
        let (_, _, body) = check(&s.state, Some(&ada), "notes").await;
        assert_eq!(body["contract"]["chosen"]["kind"], "pinned", "{db}");

        // A minor and a major release ship.
        write(
            s.dir.path(),
            "1.1.0",
            &version("1.1.0", 3000, "changes = [\"More room.\"]"),
        );
        write(s.dir.path(), "2.0.0", &version("2.0.0", 1000, V2_RELEASE));
        let reloaded = s.contracts.reload().unwrap();
        assert_eq!(reloaded.added, ["notes@1.1.0", "notes@2.0.0"], "{db}");

        // Ada moves to 1.1.0 by herself, and stays there: 2.0.0 breaks.
        let (v, _, body) = check(&s.state, Some(&ada), "notes").await;
        assert_eq!(
            (v.as_str(), &body["contract"]["chosen"]),
            ("1.1.0", &json!({"kind": "moved", "from": "1.0.0"})),
            "{db}"
        );
        assert_eq!(body["contract"]["upgrade"]["version"], "2.0.0", "{db}");
        assert_eq!(body["contract"]["upgrade"]["breaking"], true, "{db}");
        for _ in 0..3 {
            assert_eq!(
                check(&s.state, Some(&ada), "notes").await.0,
                "1.1.0",
                "{db}"
            );
        }
        // Bob is new, so he starts on 2.0.0; without a key, 2.0.0 too.
        assert_eq!(
            check(&s.state, Some(&bob), "notes").await.0,
            "2.0.0",
            "{db}"
        );
        assert_eq!(check(&s.state, None, "notes").await.0, "2.0.0", "{db}");

        // A request may name versions; the pin stays.
        let (v, _, body) = check(&s.state, Some(&ada), "notes@1.0.0").await;
        assert_eq!(
            (v.as_str(), &body["contract"]["chosen"]["kind"]),
            ("1.0.0", &json!("requested"))
        );
        assert_eq!(check(&s.state, Some(&bob), "notes@1.x").await.0, "1.1.0");
        assert_eq!(check(&s.state, Some(&ada), "notes").await.0, "1.1.0");
        let (status, _, body) = send(
            &s.state,
            post(
                "/v1/check",
                Some(&ada),
                json!({"contract": "notes@9", "text": "x"}),
            ),
        )
        .await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (StatusCode::NOT_FOUND, &json!("unknown_contract_version"))
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("1.0.0, 1.1.0, 2.0.0"),
            "{body}"
        );
        let (status, _, body) = send(
            &s.state,
            post(
                "/v1/check",
                Some(&ada),
                json!({"contract": "notes@newest", "text": "x"}),
            ),
        )
        .await;
        assert_eq!(
            (status, &body["error"]["code"]),
            (StatusCode::BAD_REQUEST, &json!("bad_version"))
        );
        assert_eq!(body["error"]["field"], "contract");
        assert!(
            body["error"]["hint"].as_str().unwrap().contains("1.x"),
            "{body}"
        );

        // The upgrade: its notes and what it breaks, then a dry run, then
        // the move.
        let (status, _, preview) =
            send(&s.state, get("/v1/contracts/notes/upgrade", Some(&ada))).await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(
            (&preview["from"], &preview["to"], &preview["upgraded"]),
            (&json!("1.1.0"), &json!("2.0.0"), &json!(false))
        );
        assert_eq!(preview["notes"][0]["version"], "2.0.0");
        assert!(preview["notes"][0]["migration"]
            .as_str()
            .unwrap()
            .contains("1,000 tokens"));
        assert_eq!(
            preview["breaks"][0]["kind"], "tier_limit_reduced",
            "{preview}"
        );
        let long = "Ada renewed early and asked about the pro plan. ".repeat(120);
        let (status, _, dry) = send(
            &s.state,
            post(
                "/v1/contracts/notes/upgrade",
                Some(&ada),
                json!({"dry_run": true, "text": long}),
            ),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{dry}");
        assert_eq!(dry["dry_run"]["from"]["ok"], true, "{dry}");
        assert_eq!(dry["dry_run"]["to"]["ok"], false, "{dry}");
        assert_eq!(
            dry["dry_run"]["to"]["report"]["issues"][0]["code"],
            "over_token_limit"
        );
        assert_eq!(
            check(&s.state, Some(&ada), "notes").await.0,
            "1.1.0",
            "a dry run moves nothing"
        );
        let (status, _, done) = send(
            &s.state,
            post("/v1/contracts/notes/upgrade", Some(&ada), json!({})),
        )
        .await;
        assert_eq!(
            (status, &done["upgraded"]),
            (StatusCode::OK, &json!(true)),
            "{done}"
        );
        assert_eq!(check(&s.state, Some(&ada), "notes").await.0, "2.0.0");
        let pin = s
            .store
            .pin(
                &s.store.authenticate(&ada).await.unwrap().unwrap().user_id,
                "notes",
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (pin.version.as_str(), pin.previous_version.as_deref()),
            ("2.0.0", Some("1.1.0"))
        );
        // Nothing newer now.
        let (_, _, again) = send(
            &s.state,
            post("/v1/contracts/notes/upgrade", Some(&ada), json!({})),
        )
        .await;
        assert_eq!(again["upgraded"], false);
        assert!(
            again["message"].as_str().unwrap().contains("newest"),
            "{again}"
        );
    }
}

#[tokio::test]
async fn a_deprecated_version_serves_with_headers_and_a_retired_one_names_its_replacement() {
    let url = support::databases().await.remove(0).1;
    let s = server(
        &url,
        &[
            (
                "1.0.0",
                version(
                    "1.0.0",
                    2000,
                    "deprecated = \"2020-01-01\"\nsunset = \"2999-12-31\"",
                ),
            ),
            (
                "1.1.0",
                version(
                    "1.1.0",
                    2000,
                    "deprecated = \"2020-01-01\"\nsunset = \"2020-06-30\"",
                ),
            ),
            ("2.0.0", version("2.0.0", 1000, V2_RELEASE)),
        ],
    )
    .await;
    let (v, headers, body) = check(&s.state, None, "notes@1.0.0").await;
    assert_eq!(v, "1.0.0");
    assert_eq!(headers["deprecation"], "@1577836800");
    assert_eq!(headers["sunset"], "Tue, 31 Dec 2999 00:00:00 GMT");
    assert_eq!(
        headers["link"],
        "</docs/notes/1.0.0>; rel=\"deprecation\"; type=\"text/html\""
    );
    let warning = body["contract"]["warning"].as_str().unwrap();
    assert!(
        warning.contains("deprecated")
            && warning.contains("2999-12-31")
            && warning.contains("2.0.0"),
        "{warning}"
    );
    // A run says the same in its body, not only its headers.
    let key = s
        .store
        .create_key("runner", "free", false)
        .await
        .unwrap()
        .secret;
    let (status, headers, body) = send(
        &s.state,
        post(
            "/v1/run",
            Some(&key),
            json!({"contract": "notes@1.0.0", "text": "Ada renewed early."}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers["deprecation"], "@1577836800");
    assert_eq!(body["contract"]["version"], "1.0.0", "{body}");
    assert_eq!(body["contract"]["standing"], "deprecated", "{body}");
    assert!(body["contract"]["warning"]
        .as_str()
        .unwrap()
        .contains("2999-12-31"));
    // A current version has none of it.
    let (v, headers, body) = check(&s.state, None, "notes").await;
    assert_eq!(v, "2.0.0");
    assert!(headers.get("deprecation").is_none() && headers.get("sunset").is_none());
    assert!(body["contract"].get("warning").is_none());

    // A user pinned to the retired 1.1.0 is refused, with the way out.
    let key = s.store.create_key("ada", "free", false).await.unwrap();
    s.store
        .create_pin(&key.user_id, "notes", "1.1.0", 0)
        .await
        .unwrap();
    let (status, _, body) = send(
        &s.state,
        post(
            "/v1/check",
            Some(&key.secret),
            json!({"contract": "notes", "text": "x"}),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::GONE, "{body}");
    assert_eq!(body["error"]["code"], "contract_version_retired");
    assert_eq!(body["error"]["replacement"], "2.0.0");
    assert_eq!(body["error"]["docs"], "/docs/notes/2.0.0");
    assert!(
        body["error"]["hint"]
            .as_str()
            .unwrap()
            .contains("1,000 tokens"),
        "{body}"
    );
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("notes 1.1.0 was retired on 2020-06-30")
            && message.contains("/v1/contracts/notes/upgrade"),
        "{message}"
    );
    // So is the exact version, even for a caller with no pin.
    let (status, _, body) = send(&s.state, get("/v1/contracts/notes/1.1.0", None)).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::GONE, &json!("contract_version_retired"))
    );
    // A range skips it: 1.x is 1.0.0, which still serves.
    assert_eq!(check(&s.state, None, "notes@1.x").await.0, "1.0.0");
    // The upgrade the refusal names moves the retired pin on.
    let (status, _, done) = send(
        &s.state,
        post("/v1/contracts/notes/upgrade", Some(&key.secret), json!({})),
    )
    .await;
    assert_eq!(
        (status, &done["upgraded"]),
        (StatusCode::OK, &json!(true)),
        "{done}"
    );
    assert_eq!(
        (&done["from"], &done["to"]),
        (&json!("1.1.0"), &json!("2.0.0"))
    );
    assert_eq!(check(&s.state, Some(&key.secret), "notes").await.0, "2.0.0");
}

#[tokio::test]
async fn an_exact_version_has_an_etag_and_is_gone_once_the_folder_drops_it() {
    let url = support::databases().await.remove(0).1;
    let s = server(&url, &[("1.0.0", version("1.0.0", 2000, ""))]).await;
    let (status, headers, body) = send(&s.state, get("/v1/contracts/notes/1.0.0", None)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["version"], "1.0.0");
    assert_eq!(headers["cache-control"], "no-cache");
    let tag = headers["etag"].to_str().unwrap().to_owned();
    let revalidate = Request::get("/v1/contracts/notes/1.0.0")
        .header(header::IF_NONE_MATCH, &tag)
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&s.state, revalidate).await;
    assert_eq!(
        (status, headers["etag"].to_str().unwrap()),
        (StatusCode::NOT_MODIFIED, tag.as_str())
    );

    write(s.dir.path(), "1.0.1", &version("1.0.1", 2000, ""));
    std::fs::remove_file(s.dir.path().join("notes/1.0.0.toml")).unwrap();
    let reloaded = s.contracts.reload_if_changed().unwrap().unwrap();
    assert_eq!(
        (reloaded.added, reloaded.removed),
        (
            vec!["notes@1.0.1".to_owned()],
            vec!["notes@1.0.0".to_owned()]
        )
    );
    let revalidate = Request::get("/v1/contracts/notes/1.0.0")
        .header(header::IF_NONE_MATCH, &tag)
        .body(Body::empty())
        .unwrap();
    let (status, _, body) = send(&s.state, revalidate).await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (StatusCode::NOT_FOUND, &json!("unknown_contract_version"))
    );
    // The versions listing says what there is now.
    let (status, _, body) = send(&s.state, get("/v1/contracts/notes/versions", None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["default"], "1.0.1");
    assert_eq!(body["versions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_bad_reload_is_refused_and_the_running_versions_keep_serving() {
    let url = support::databases().await.remove(0).1;
    let s = server(&url, &[("1.0.0", version("1.0.0", 2000, ""))]).await;
    // A breaking change not marked as one.
    write(s.dir.path(), "1.1.0", &version("1.1.0", 500, ""));
    let e = s.contracts.reload().unwrap_err();
    assert!(matches!(e, RegistryError::UnmarkedBreaking { .. }), "{e}");
    let message = e.to_string();
    assert!(
        message.contains("notes 1.1.0 breaks callers of 1.0.0"),
        "{message}"
    );
    assert!(
        message.contains("2,000") || message.contains("2000"),
        "{message}"
    );
    assert_eq!(check(&s.state, None, "notes").await.0, "1.0.0");
    // Marked, but in the same major version.
    write(s.dir.path(), "1.1.0", &version("1.1.0", 500, V2_RELEASE));
    let e = s.contracts.reload().unwrap_err();
    assert!(matches!(e, RegistryError::BreakingNeedsMajor { .. }), "{e}");
    // A file that does not parse.
    std::fs::remove_file(s.dir.path().join("notes/1.1.0.toml")).unwrap();
    write(
        s.dir.path(),
        "1.2.0",
        "id = \"notes\"\nversion = \"1.2.0\"\n[model]\n",
    );
    let e = s.contracts.reload_if_changed().unwrap().unwrap_err();
    assert!(e.to_string().contains("1.2.0.toml"), "{e}");
    assert_eq!(check(&s.state, None, "notes").await.0, "1.0.0");
    assert_eq!(s.contracts.current().labels(), ["notes@1.0.0"]);
    // Fixed: served.
    write(s.dir.path(), "1.2.0", &version("1.2.0", 2500, ""));
    s.contracts.reload_if_changed().unwrap().unwrap();
    assert_eq!(check(&s.state, None, "notes").await.0, "1.2.0");
}
