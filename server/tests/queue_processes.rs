//! The queue across processes: the real `preflight serve` binary killed
//! with SIGKILL while jobs are queued and running, then started again; and
//! two instances on one PostgreSQL sharing the queue. The model is the
//! in-process fake provider.

mod support;

use prompt_preflight_server::fake::{FakeProvider, SLOW_KEY, VALID_KEY_PREFIX};
use prompt_preflight_server::store::{Metric, Store};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const NOTES: &str = "Ada renewed early and asked about the pro plan; Grace wants audit logs.";

/// `preflight serve` on a free port; returns the process and its URL.
fn serve(database: &str, fake: &FakeProvider, provider_key: &str) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["serve", "--addr", "127.0.0.1:0", "--www", "/nonexistent"])
        .env("DATABASE_URL", database)
        .env("OPENAI_API_KEY", provider_key)
        .env("OPENAI_BASE_URL", format!("{}/v1", fake.base_url()))
        .env("PREFLIGHT_QUEUE_WORKERS", "2")
        .env("PREFLIGHT_QUEUE_LEASE_SECONDS", "2")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the server starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("the server printed its address")
            .unwrap();
        if let Some(url) = line.strip_prefix("preflight listening on ") {
            break url.to_owned();
        }
    };
    (child, url)
}

async fn submit(client: &reqwest::Client, url: &str, key: &str) -> String {
    let response = client
        .post(format!("{url}/v1/run"))
        .bearer_auth(key)
        .header("prefer", "respond-async")
        .json(&serde_json::json!({"contract": "customer-list", "text": NOTES}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let body: serde_json::Value = response.json().await.unwrap();
    body["job"]["id"].as_str().unwrap().to_owned()
}

/// Waits until every job is done; returns them.
async fn all_done(
    store: &Store,
    user: &str,
    ids: &[String],
    within: Duration,
) -> Vec<prompt_preflight_server::store::Job> {
    let start = Instant::now();
    loop {
        let mut jobs = Vec::new();
        for id in ids {
            jobs.push(
                store
                    .job(id, user)
                    .await
                    .unwrap()
                    .expect("every accepted job exists"),
            );
        }
        if jobs.iter().all(|j| j.state == "done") {
            return jobs;
        }
        assert!(
            start.elapsed() < within,
            "not all done: {:?}",
            jobs.iter()
                .map(|j| (&j.id, &j.state, j.attempt))
                .collect::<Vec<_>>()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every job recorded once, its reservation settled, and the counters
/// equal to the records.
async fn exactly_once(store: &Store, user: &str, ids: &[String]) {
    for id in ids {
        let record = store
            .usage_record(id)
            .await
            .unwrap()
            .expect("a record per job");
        assert_eq!(record.outcome, "answered", "{id}");
        assert_eq!(
            store.reservation(id).await.unwrap().unwrap().0,
            "settled",
            "{id}"
        );
    }
    let caller = store.authenticate(user).await.unwrap().unwrap();
    let totals = store
        .usage_totals(Some(&caller.user_id), None, 0)
        .await
        .unwrap();
    assert_eq!(
        totals.requests,
        ids.len() as i64,
        "one record per job, none twice"
    );
    let w = prompt_preflight_server::service::quota::Windows::at(
        prompt_preflight_server::store::now_ms(),
    );
    let caps = [
        (Metric::RequestsMinute, None),
        (Metric::TokensMinute, None),
        (Metric::TokensMonth, None),
        (Metric::SpendMonth, None),
    ];
    let counters = store
        .counters(
            &caller.user_id,
            "customer-list",
            w.minute_start,
            w.month_start,
            &caps,
        )
        .await
        .unwrap();
    let month = counters
        .iter()
        .find(|c| c.metric == Metric::TokensMonth)
        .unwrap();
    assert_eq!(
        month.used,
        totals.input_tokens + totals.output_tokens,
        "charged once"
    );
    assert_eq!(month.reserved, 0, "nothing left held");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_queue_loses_no_job_and_charges_none_twice() {
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(0).1;
    let store = Store::open(&url).await.unwrap();
    let key = store.create_key("ada", "paid", false).await.unwrap().secret;
    let client = reqwest::Client::new();
    let (mut first, base) = serve(&url, &fake, SLOW_KEY);
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(submit(&client, &base, &key).await);
    }
    // Two workers, two seconds a call: some are running, most are queued.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let mut states = BTreeSet::new();
    for id in &ids {
        states.insert(
            store
                .job(
                    id,
                    &store.authenticate(&key).await.unwrap().unwrap().user_id,
                )
                .await
                .unwrap()
                .unwrap()
                .state,
        );
    }
    assert!(
        states.contains("queued"),
        "jobs were waiting when it died: {states:?}"
    );
    let (mut second, _) = serve(&url, &fake, SLOW_KEY);
    let user = store.authenticate(&key).await.unwrap().unwrap().user_id;
    let jobs = all_done(&store, &user, &ids, Duration::from_secs(90)).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert!(jobs.iter().all(|j| j.status_code == Some(200)));
    exactly_once(&store, &key, &ids).await;
    let called = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .count();
    assert!(
        called >= ids.len(),
        "every job reached the model ({called} calls)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_postgresql_share_the_queue_without_double_processing() {
    let fake = FakeProvider::start().await;
    let url = support::databases().await.remove(1).1;
    assert!(url.starts_with("postgres://"));
    let store = Store::open(&url).await.unwrap();
    let key = store.create_key("ada", "paid", false).await.unwrap().secret;
    let client = reqwest::Client::new();
    let (mut a, url_a) = serve(&url, &fake, VALID_KEY_PREFIX);
    let (mut b, url_b) = serve(&url, &fake, VALID_KEY_PREFIX);
    let mut ids = Vec::new();
    for i in 0..40 {
        let base = if i % 2 == 0 { &url_a } else { &url_b };
        ids.push(submit(&client, base, &key).await);
    }
    let user = store.authenticate(&key).await.unwrap().unwrap().user_id;
    let jobs = all_done(&store, &user, &ids, Duration::from_secs(60)).await;
    a.kill().unwrap();
    b.kill().unwrap();
    let _ = (a.wait(), b.wait());
    assert!(
        jobs.iter().all(|j| j.attempt == 1),
        "each job was claimed once"
    );
    let instances: BTreeSet<String> = jobs
        .iter()
        .filter_map(|j| j.worker.as_deref())
        .map(|w| w.split('-').next().unwrap().to_owned())
        .collect();
    assert_eq!(instances.len(), 2, "both instances worked: {instances:?}");
    let called = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/chat/completions")
        .count();
    assert_eq!(called, ids.len(), "the model was asked once per job");
    exactly_once(&store, &key, &ids).await;
}
