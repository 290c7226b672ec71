//! What several test files share.
#![allow(dead_code)]

pub mod postgres;

/// Both databases the server runs on: a fresh SQLite file and a fresh
/// PostgreSQL database, as `(name, url)`.
pub async fn databases() -> Vec<(&'static str, String)> {
    let dir = std::env::temp_dir().join(format!(
        "preflight-sqlite-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    vec![
        ("sqlite", format!("sqlite://{}/test.db", dir.display())),
        ("postgres", postgres::fresh_database().await),
    ]
}
