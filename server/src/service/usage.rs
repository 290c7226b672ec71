//! The operator's view of usage, from the records: totals per user, tier
//! and day, outcomes (failure classes) per day, and the issue codes users'
//! inputs actually raise.

use crate::service::quota::day_of;
use crate::store::{Store, StoreError, UsageRecord};
use serde::Serialize;
use std::collections::BTreeMap;

/// The most records one view reads.
pub const MAX_RECORDS: i64 = 200_000;

/// Sums of a group of records.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Sums {
    /// Records.
    pub requests: u64,
    /// Model calls.
    pub attempts: u64,
    /// Input tokens.
    pub input_tokens: u64,
    /// Output tokens.
    pub output_tokens: u64,
    /// Cost in US dollars.
    pub cost_usd: f64,
    /// Requests that failed (any outcome but `answered`, `checked`,
    /// `prepared`).
    pub failed: u64,
}

impl Sums {
    fn add(&mut self, r: &UsageRecord) {
        self.requests += 1;
        self.attempts += r.attempts.max(0) as u64;
        self.input_tokens += r.input_tokens.max(0) as u64;
        self.output_tokens += r.output_tokens.max(0) as u64;
        self.cost_usd = ((self.cost_usd * 1e6).round() + r.cost_micro_usd as f64) / 1e6;
        if !matches!(r.outcome.as_str(), "answered" | "checked" | "prepared") {
            self.failed += 1;
        }
    }
}

/// One user's line.
#[derive(Debug, Clone, Serialize)]
pub struct UserLine {
    /// The user's id (`None`: anonymous visitors).
    pub user_id: Option<String>,
    /// Their name.
    pub user: String,
    /// Their tier.
    pub tier: String,
    /// What they used.
    #[serde(flatten)]
    pub sums: Sums,
}

/// The usage view.
#[derive(Debug, Clone, Serialize)]
pub struct UsageView {
    /// The first instant counted (ms).
    pub since_ms: i64,
    /// Every record together.
    pub totals: Sums,
    /// Per user, the biggest spender first.
    pub by_user: Vec<UserLine>,
    /// Per tier.
    pub by_tier: BTreeMap<String, Sums>,
    /// Per day (`YYYY-MM-DD`, UTC).
    pub by_day: BTreeMap<String, Sums>,
    /// Per day, how many requests ended in each outcome.
    pub outcomes_by_day: BTreeMap<String, BTreeMap<String, u64>>,
    /// Issue codes and how often they were raised, most frequent first.
    pub top_issue_codes: Vec<(String, u64)>,
    /// Whether there were more records than the view reads.
    pub truncated: bool,
}

impl UsageView {
    /// The view of the records since `since_ms`.
    pub async fn since(store: &Store, since_ms: i64) -> Result<UsageView, StoreError> {
        let records = store.usage_records(None, since_ms, MAX_RECORDS + 1).await?;
        let users: BTreeMap<String, (String, String)> = store
            .users()
            .await?
            .into_iter()
            .map(|(id, name, tier)| (id, (name, tier)))
            .collect();
        Ok(UsageView::of(&records, &users, since_ms))
    }

    /// The view of `records`, naming users from `users` (id → name, tier).
    pub fn of(
        records: &[UsageRecord],
        users: &BTreeMap<String, (String, String)>,
        since_ms: i64,
    ) -> UsageView {
        let truncated = records.len() as i64 > MAX_RECORDS;
        let records = &records[..records.len().min(MAX_RECORDS as usize)];
        let mut totals = Sums::default();
        let mut by_user: BTreeMap<Option<String>, (String, Sums)> = BTreeMap::new();
        let mut by_tier: BTreeMap<String, Sums> = BTreeMap::new();
        let mut by_day: BTreeMap<String, Sums> = BTreeMap::new();
        let mut outcomes: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        let mut codes: BTreeMap<String, u64> = BTreeMap::new();
        for r in records {
            totals.add(r);
            by_user
                .entry(r.user_id.clone())
                .or_insert_with(|| (r.tier.clone(), Sums::default()))
                .1
                .add(r);
            by_tier.entry(r.tier.clone()).or_default().add(r);
            let day = day_of(r.created_ms);
            by_day.entry(day.clone()).or_default().add(r);
            *outcomes
                .entry(day)
                .or_default()
                .entry(r.outcome.clone())
                .or_default() += 1;
            for code in &r.issue_codes {
                *codes.entry(code.clone()).or_default() += 1;
            }
        }
        let mut by_user: Vec<UserLine> = by_user
            .into_iter()
            .map(|(id, (tier, sums))| {
                let (user, tier) = match id.as_ref().and_then(|id| users.get(id)) {
                    Some((name, tier)) => (name.clone(), tier.clone()),
                    None if id.is_none() => ("anonymous".to_owned(), tier),
                    None => (id.clone().unwrap_or_default(), tier),
                };
                UserLine {
                    user_id: id,
                    user,
                    tier,
                    sums,
                }
            })
            .collect();
        by_user.sort_by(|a, b| {
            b.sums
                .cost_usd
                .total_cmp(&a.sums.cost_usd)
                .then(b.sums.requests.cmp(&a.sums.requests))
                .then(a.user.cmp(&b.user))
        });
        let mut top: Vec<(String, u64)> = codes.into_iter().collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        top.truncate(20);
        UsageView {
            since_ms,
            totals,
            by_user,
            by_tier,
            by_day,
            outcomes_by_day: outcomes,
            top_issue_codes: top,
            truncated,
        }
    }
}
