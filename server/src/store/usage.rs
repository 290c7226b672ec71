//! Usage records: one row per request, written once, with who asked, what
//! it cost, what happened and the input's shape. Never the content, unless
//! the operator turned that on.

use super::{Store, StoreError};
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

/// One request, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct UsageRecord {
    /// The request's id (also `x-request-id`); recorded once.
    pub request_id: String,
    /// The user, or `None` for an anonymous demo request.
    pub user_id: Option<String>,
    /// The tier it ran on.
    pub tier: String,
    /// The contract.
    pub contract_id: String,
    /// The contract's version.
    pub contract_version: String,
    /// The route (`run`, `chat_completions`, `check`, `prepare`).
    pub route: String,
    /// The model that answered (or the last one tried).
    pub model: Option<String>,
    /// Input tokens, every attempt.
    pub input_tokens: i64,
    /// Output tokens, every attempt.
    pub output_tokens: i64,
    /// Input tokens the provider served from its cache.
    pub cached_tokens: i64,
    /// Whether some of the tokens are our count, not the provider's (a
    /// broken stream).
    pub counted_by_us: bool,
    /// Cost in micro-dollars, at the catalogue's prices.
    pub cost_micro_usd: i64,
    /// Time from the request to its answer.
    pub latency_ms: i64,
    /// `answered`, `check_failed`, `quota_exceeded`, or the failure class.
    pub outcome: String,
    /// Model calls made.
    pub attempts: i64,
    /// The attempts' steps and classes, e.g. `["answer:timeout", "answer"]`.
    pub steps: Vec<String>,
    /// The input's kind (`csv`, `text`, …).
    pub input_kind: Option<String>,
    /// The input's size in bytes.
    pub input_bytes: i64,
    /// The issue codes the check found.
    pub issue_codes: Vec<String>,
    /// The input itself, only when the operator records content.
    pub content: Option<String>,
    /// Whether the answer passed the contract's output check; `None`
    /// without an answer or an `[output]` to check it against.
    pub output_ok: Option<bool>,
    /// When it was recorded (ms since the epoch).
    pub created_ms: i64,
}

/// A record as listings return it (the same fields).
pub type UsageRow = UsageRecord;

/// Sums over a set of records.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UsageTotals {
    /// Records.
    pub requests: i64,
    /// Model calls.
    pub attempts: i64,
    /// Input tokens.
    pub input_tokens: i64,
    /// Output tokens.
    pub output_tokens: i64,
    /// Micro-dollars.
    pub cost_micro_usd: i64,
}

/// Writes `record` unless one with its request id exists.
pub(super) async fn insert_record(
    tx: &mut Transaction<'static, Any>,
    r: &UsageRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO usage_records (request_id, user_id, tier, contract_id, contract_version, route, \
         model, input_tokens, output_tokens, cached_tokens, counted_by_us, cost_micro_usd, latency_ms, \
         outcome, attempts, steps, input_kind, input_bytes, issue_codes, content, created_ms, output_ok) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) \
         ON CONFLICT (request_id) DO NOTHING",
    )
    .bind(&r.request_id)
    .bind(&r.user_id)
    .bind(&r.tier)
    .bind(&r.contract_id)
    .bind(&r.contract_version)
    .bind(&r.route)
    .bind(&r.model)
    .bind(r.input_tokens)
    .bind(r.output_tokens)
    .bind(r.cached_tokens)
    .bind(i64::from(r.counted_by_us))
    .bind(r.cost_micro_usd)
    .bind(r.latency_ms)
    .bind(&r.outcome)
    .bind(r.attempts)
    .bind(serde_json::to_string(&r.steps).unwrap_or_default())
    .bind(&r.input_kind)
    .bind(r.input_bytes)
    .bind(serde_json::to_string(&r.issue_codes).unwrap_or_default())
    .bind(&r.content)
    .bind(r.created_ms)
    .bind(r.output_ok.map(i64::from))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const COLUMNS: &str = "request_id, user_id, tier, contract_id, contract_version, route, model, \
    input_tokens, output_tokens, cached_tokens, counted_by_us, cost_micro_usd, latency_ms, outcome, \
    attempts, steps, input_kind, input_bytes, issue_codes, content, created_ms, output_ok";

fn from_row(row: &sqlx::any::AnyRow) -> UsageRecord {
    let list = |i: usize| -> Vec<String> {
        serde_json::from_str(&row.get::<String, _>(i)).unwrap_or_default()
    };
    UsageRecord {
        request_id: row.get(0),
        user_id: row.get(1),
        tier: row.get(2),
        contract_id: row.get(3),
        contract_version: row.get(4),
        route: row.get(5),
        model: row.get(6),
        input_tokens: row.get(7),
        output_tokens: row.get(8),
        cached_tokens: row.get(9),
        counted_by_us: row.get::<i64, _>(10) != 0,
        cost_micro_usd: row.get(11),
        latency_ms: row.get(12),
        outcome: row.get(13),
        attempts: row.get(14),
        steps: list(15),
        input_kind: row.get(16),
        input_bytes: row.get(17),
        issue_codes: list(18),
        content: row.get(19),
        created_ms: row.get(20),
        output_ok: row.get::<Option<i64>, _>(21).map(|v| v != 0),
    }
}

impl Store {
    /// Writes a record for a request that reserved nothing (refused by
    /// the check or a quota, or a demo check).
    pub async fn record(&self, record: &UsageRecord) -> Result<(), StoreError> {
        self.timed("record", async move {
            let mut tx = self.write().await?;
            insert_record(&mut tx, record).await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// The record of one request.
    pub async fn usage_record(&self, request_id: &str) -> Result<Option<UsageRecord>, StoreError> {
        self.timed("usage_record", async move {
            let row = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM usage_records WHERE request_id = $1"
            ))
            .bind(request_id)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(from_row))
        })
        .await
    }

    /// Records since `since_ms`, newest first, at most `limit`, of one
    /// user or of everyone.
    pub async fn usage_records(
        &self,
        user_id: Option<&str>,
        since_ms: i64,
        limit: i64,
    ) -> Result<Vec<UsageRecord>, StoreError> {
        self.timed("usage_records", async move {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM usage_records WHERE created_ms >= $1 \
             AND ($2 = '' OR user_id = $2) ORDER BY created_ms DESC, request_id LIMIT $3"
            ))
            .bind(since_ms)
            .bind(user_id.unwrap_or(""))
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
            Ok(rows.iter().map(from_row).collect())
        })
        .await
    }

    /// Sums over the records of `user_id` (or everyone) on `contract_id`
    /// (or every contract) since `since_ms`.
    pub async fn usage_totals(
        &self,
        user_id: Option<&str>,
        contract_id: Option<&str>,
        since_ms: i64,
    ) -> Result<UsageTotals, StoreError> {
        self.timed("usage_totals", async move {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(attempts), 0) AS BIGINT), \
             CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT), CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT), \
             CAST(COALESCE(SUM(cost_micro_usd), 0) AS BIGINT) FROM usage_records \
             WHERE created_ms >= $1 AND ($2 = '' OR user_id = $2) AND ($3 = '' OR contract_id = $3)",
        )
        .bind(since_ms)
        .bind(user_id.unwrap_or(""))
        .bind(contract_id.unwrap_or(""))
        .fetch_one(self.pool())
        .await?;
        Ok(UsageTotals {
            requests: row.get(0),
            attempts: row.get(1),
            input_tokens: row.get(2),
            output_tokens: row.get(3),
            cost_micro_usd: row.get(4),
        })
        })
        .await
    }
}
