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

use prompt_preflight_server::store::Store;
use prompt_preflight_server::AppState;

/// `state` with accounts in a fresh in-memory database and an operator key
/// for the user `tester` on the `free` tier, kept as the state's demo key
/// (see [`key_of`]). A state that has accounts already is returned as it is.
pub async fn keyed(state: AppState) -> AppState {
    keyed_on(state, "free").await
}

/// [`keyed`], with the tester on `tier`.
pub async fn keyed_on(state: AppState, tier: &str) -> AppState {
    if state.accounts.is_some() {
        return state;
    }
    let store = Store::memory().await.expect("an in-memory database");
    let key = store.create_key("tester", tier, true).await.expect("a key");
    let mut state = state.with_store(store);
    state.accounts.as_mut().unwrap().demo_key = Some(key.secret);
    state
}

/// The tester's key of a [`keyed`] state.
pub fn key_of(state: &AppState) -> String {
    state
        .accounts
        .as_ref()
        .and_then(|a| a.demo_key.clone())
        .expect("a keyed state (support::keyed)")
}
