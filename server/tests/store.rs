//! The store on both databases: keys, reservations and settlement, the
//! sweeper, and exact admission under concurrency.

mod support;

use prompt_preflight_server::store::{
    now_ms, Amounts, Caps, Metric, Reservation, Store, UsageRecord,
};
use std::sync::Arc;

fn caps(tokens_month: i64) -> Caps {
    [
        (Metric::RequestsMinute, None),
        (Metric::TokensMinute, None),
        (Metric::TokensMonth, Some(tokens_month)),
        (Metric::SpendMonth, None),
    ]
}

fn reservation(id: &str, user: &str, tokens: i64) -> Reservation {
    Reservation {
        request_id: id.into(),
        user_id: user.into(),
        contract_id: "c".into(),
        minute_start: 60_000,
        month_start: 0,
        amounts: Amounts {
            requests: 1,
            tokens,
            spend: tokens * 2,
        },
        expires_ms: now_ms() + 60_000,
    }
}

fn record(id: &str, user: &str, tokens: i64) -> UsageRecord {
    UsageRecord {
        request_id: id.into(),
        user_id: Some(user.into()),
        tier: "free".into(),
        contract_id: "c".into(),
        contract_version: "1.0.0".into(),
        route: "run".into(),
        input_tokens: tokens,
        outcome: "answered".into(),
        attempts: 1,
        created_ms: now_ms(),
        ..UsageRecord::default()
    }
}

#[tokio::test]
async fn keys_are_stored_as_hashes_and_can_be_revoked() {
    for (name, url) in support::databases().await {
        let store = Store::open(&url).await.unwrap();
        let key = store.create_key("ada", "free", false).await.unwrap();
        assert!(
            key.secret.starts_with("pp_") && key.secret.len() > 40,
            "{name}"
        );
        let caller = store.authenticate(&key.secret).await.unwrap().unwrap();
        assert_eq!(caller.user_name, "ada");
        assert_eq!(caller.tier, "free");
        assert!(!caller.admin);
        // A second key for the same user, on another tier, moves the user.
        let other = store.create_key("ada", "paid", true).await.unwrap();
        assert_eq!(other.user_id, key.user_id, "{name}");
        assert_eq!(
            store.authenticate(&key.secret).await.unwrap().unwrap().tier,
            "paid"
        );
        assert!(
            store
                .authenticate(&other.secret)
                .await
                .unwrap()
                .unwrap()
                .admin
        );
        // Nothing stored contains the secret.
        let listed = store.keys().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed
            .iter()
            .all(|k| !key.secret.starts_with(&format!("{}x", k.id))));
        assert!(store.authenticate("pp_wrong").await.unwrap().is_none());
        assert!(store.authenticate("").await.unwrap().is_none());
        assert!(store.revoke_key(&key.id).await.unwrap(), "{name}");
        assert!(
            !store.revoke_key(&key.id).await.unwrap(),
            "{name}: revoked twice"
        );
        assert!(
            store.authenticate(&key.secret).await.unwrap().is_none(),
            "{name}"
        );
        assert!(store.authenticate(&other.secret).await.unwrap().is_some());
        // Reopening runs no migration twice.
        store.close().await;
        Store::open(&url).await.unwrap();
    }
}

#[tokio::test]
async fn a_settlement_counts_once_and_a_release_gives_back() {
    for (name, url) in support::databases().await {
        let store = Store::open(&url).await.unwrap();
        let now = now_ms();
        let held = store
            .reserve(&reservation("r1", "u", 600), &caps(1000), now)
            .await
            .unwrap()
            .unwrap();
        let month = held
            .counters
            .iter()
            .find(|c| c.metric == Metric::TokensMonth)
            .unwrap();
        assert_eq!(
            (month.used, month.reserved, month.remaining()),
            (0, 600, Some(400)),
            "{name}"
        );
        // The same request reserving again holds nothing more.
        store
            .reserve(&reservation("r1", "u", 600), &caps(1000), now)
            .await
            .unwrap()
            .unwrap();
        // Another 600 does not fit.
        let short = store
            .reserve(&reservation("r2", "u", 600), &caps(1000), now)
            .await
            .unwrap()
            .unwrap_err();
        assert_eq!((short.counter.reserved, short.wanted), (600, 600), "{name}");
        assert!(
            store.reservation("r2").await.unwrap().is_none(),
            "{name}: refused leaves nothing"
        );
        let used = Amounts {
            requests: 1,
            tokens: 450,
            spend: 900,
        };
        assert!(store
            .settle("r1", used, &record("r1", "u", 450), now)
            .await
            .unwrap());
        assert!(
            !store
                .settle("r1", used, &record("r1", "u", 450), now)
                .await
                .unwrap(),
            "{name}"
        );
        let counters = store
            .counters("u", "c", 60_000, 0, &caps(1000))
            .await
            .unwrap();
        let month = counters
            .iter()
            .find(|c| c.metric == Metric::TokensMonth)
            .unwrap();
        assert_eq!(
            (month.used, month.reserved),
            (450, 0),
            "{name}: settled once"
        );
        let spend = counters
            .iter()
            .find(|c| c.metric == Metric::SpendMonth)
            .unwrap();
        assert_eq!(spend.used, 900);
        let totals = store.usage_totals(Some("u"), None, 0).await.unwrap();
        assert_eq!(
            (totals.requests, totals.input_tokens),
            (1, 450),
            "{name}: one record"
        );
        // A failed call gives its reservation back.
        store
            .reserve(&reservation("r3", "u", 500), &caps(1000), now)
            .await
            .unwrap()
            .unwrap();
        assert!(store.release("r3", None, now).await.unwrap());
        let counters = store
            .counters("u", "c", 60_000, 0, &caps(1000))
            .await
            .unwrap();
        let month = counters
            .iter()
            .find(|c| c.metric == Metric::TokensMonth)
            .unwrap();
        assert_eq!((month.used, month.reserved), (450, 0), "{name}");
        // A reservation can grow while held, under the cap.
        let r4 = reservation("r4", "u", 100);
        store.reserve(&r4, &caps(1000), now).await.unwrap().unwrap();
        let more = Amounts {
            requests: 1,
            tokens: 400,
            spend: 0,
        };
        assert!(store
            .extend(&r4, more, &caps(1000), now + 1)
            .await
            .unwrap()
            .is_ok());
        assert!(
            store
                .extend(&r4, more, &caps(1000), now + 1)
                .await
                .unwrap()
                .is_err(),
            "{name}"
        );
        assert_eq!(
            store.reservation("r4").await.unwrap().unwrap().1.tokens,
            500
        );
    }
}

#[tokio::test]
async fn the_sweeper_releases_what_dead_requests_hold() {
    for (name, url) in support::databases().await {
        let store = Store::open(&url).await.unwrap();
        let now = now_ms();
        let mut dead = reservation("dead", "u", 700);
        dead.expires_ms = now - 1;
        store
            .reserve(&dead, &caps(1000), now)
            .await
            .unwrap()
            .unwrap();
        store
            .reserve(&reservation("alive", "u", 200), &caps(1000), now)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(store.sweep(now, 0).await.unwrap(), 1, "{name}");
        assert_eq!(
            store.reservation("dead").await.unwrap().unwrap().0,
            "released"
        );
        assert_eq!(store.reservation("alive").await.unwrap().unwrap().0, "held");
        let counters = store
            .counters("u", "c", 60_000, 0, &caps(1000))
            .await
            .unwrap();
        let month = counters
            .iter()
            .find(|c| c.metric == Metric::TokensMonth)
            .unwrap();
        assert_eq!(
            (month.used, month.reserved),
            (0, 200),
            "{name}: no false 'budget exceeded'"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_parallel_reservations_never_pass_the_allowance() {
    for (name, url) in support::databases().await {
        let store = Arc::new(Store::open(&url).await.unwrap());
        let now = now_ms();
        let tasks: Vec<_> = (0..50)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    let id = format!("p{i}");
                    let admitted = store
                        .reserve(&reservation(&id, "u", 700), &caps(10_000), now)
                        .await
                        .unwrap()
                        .is_ok();
                    if admitted {
                        let used = Amounts {
                            requests: 1,
                            tokens: 650 + i,
                            spend: 0,
                        };
                        store
                            .settle(&id, used, &record(&id, "u", 650 + i), now)
                            .await
                            .unwrap();
                    }
                    admitted
                })
            })
            .collect();
        let mut admitted = 0;
        for t in tasks {
            admitted += usize::from(t.await.unwrap());
        }
        // 14 × 700 fit at once; a settlement below its hold (650 + i) can
        // make room for one more while others still wait.
        assert!(
            (14..=15).contains(&admitted),
            "{name}: {admitted} admitted against 10,000 in holds of 700"
        );
        let counters = store
            .counters("u", "c", 60_000, 0, &caps(10_000))
            .await
            .unwrap();
        let month = counters
            .iter()
            .find(|c| c.metric == Metric::TokensMonth)
            .unwrap();
        assert!(month.used <= 10_000, "{name}");
        assert_eq!(month.reserved, 0);
        let totals = store.usage_totals(Some("u"), None, 0).await.unwrap();
        assert_eq!(totals.requests, admitted as i64);
        assert_eq!(
            totals.input_tokens, month.used,
            "{name}: the records add up to the counter"
        );
    }
}
