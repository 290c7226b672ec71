//! Staged rollouts: the rollout itself, the pins it assigns, and the
//! per-version tallies of usage records and feedback it is judged on.

use super::{now_ms, Store, StoreError};
use sqlx::Row;

/// Where a rollout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RolloutState {
    /// Sending its percentage of eligible users to the candidate.
    Running,
    /// Finished: the candidate is released to everyone.
    Promoted,
    /// Finished: the candidate's users went back to their previous version.
    RolledBack,
}

impl RolloutState {
    /// The stored name: `running`, `promoted`, `rolled_back`.
    pub fn as_str(self) -> &'static str {
        match self {
            RolloutState::Running => "running",
            RolloutState::Promoted => "promoted",
            RolloutState::RolledBack => "rolled_back",
        }
    }

    fn parse(s: &str) -> RolloutState {
        match s {
            "promoted" => RolloutState::Promoted,
            "rolled_back" => RolloutState::RolledBack,
            _ => RolloutState::Running,
        }
    }
}

/// A staged rollout of one contract version.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rollout {
    /// Its id (`ro_…`).
    pub id: String,
    /// The contract.
    pub contract_id: String,
    /// The version the other users stay on, and the comparison's baseline.
    pub control: String,
    /// The version being rolled out.
    pub candidate: String,
    /// The share of eligible users sent to the candidate, in basis points
    /// (1,000 = 10%).
    pub percent_bp: i64,
    /// Where it is.
    pub state: RolloutState,
    /// Whether the guard rolls it back when the candidate fails
    /// significantly more often.
    pub guard: bool,
    /// Why it ended, when it did.
    pub reason: Option<String>,
    /// When it started (ms since the epoch).
    pub created_ms: i64,
    /// When it last changed.
    pub updated_ms: i64,
    /// When it ended.
    pub ended_ms: Option<i64>,
}

const COLUMNS: &str = "id, contract_id, control, candidate, percent_bp, state, guard, reason, \
                       created_ms, updated_ms, ended_ms";

fn rollout_of(row: &sqlx::any::AnyRow) -> Rollout {
    Rollout {
        id: row.get("id"),
        contract_id: row.get("contract_id"),
        control: row.get("control"),
        candidate: row.get("candidate"),
        percent_bp: row.get("percent_bp"),
        state: RolloutState::parse(&row.get::<String, _>("state")),
        guard: row.get::<i64, _>("guard") != 0,
        reason: row.get("reason"),
        created_ms: row.get("created_ms"),
        updated_ms: row.get("updated_ms"),
        ended_ms: row.get("ended_ms"),
    }
}

/// The usage records of one version, grouped by outcome and output check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    /// The contract version.
    pub version: String,
    /// `answered`, `checked`, `check_failed`, a failure class, …
    pub outcome: String,
    /// The output check: passed, failed, or not run.
    pub output_ok: Option<bool>,
    /// Records in this group.
    pub count: i64,
    /// Their input tokens.
    pub input_tokens: i64,
    /// Their output tokens.
    pub output_tokens: i64,
    /// Their cost in micro-dollars.
    pub cost_micro_usd: i64,
    /// Their latencies, summed.
    pub latency_ms: i64,
}

/// Ratings of one version: thumbs up and down.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ratings {
    /// Thumbs up.
    pub up: i64,
    /// Thumbs down.
    pub down: i64,
}

/// A user's rating of one answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    /// The request that was answered.
    pub request_id: String,
    /// Who rates it (the user who made the request).
    pub user_id: String,
    /// The contract and version that answered.
    pub contract_id: String,
    /// The version.
    pub contract_version: String,
    /// `1` up, `-1` down.
    pub rating: i64,
    /// An optional comment.
    pub comment: Option<String>,
}

impl Store {
    /// Starts `rollout`; `Conflict` when one is already running for its
    /// contract.
    pub async fn create_rollout(&self, rollout: &Rollout) -> Result<(), StoreError> {
        self.timed("create_rollout", async move {
            let mut tx = self.write().await?;
            let running = sqlx::query(
                "SELECT id FROM rollouts WHERE contract_id = $1 AND state = 'running'",
            )
            .bind(&rollout.contract_id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = running {
                return Err(StoreError::Conflict(format!(
                    "the rollout {} of {} is still running: promote it or roll it back first",
                    row.get::<String, _>(0),
                    rollout.contract_id
                )));
            }
            sqlx::query(&format!(
                "INSERT INTO rollouts ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
            ))
            .bind(&rollout.id)
            .bind(&rollout.contract_id)
            .bind(&rollout.control)
            .bind(&rollout.candidate)
            .bind(rollout.percent_bp)
            .bind(rollout.state.as_str())
            .bind(i64::from(rollout.guard))
            .bind(&rollout.reason)
            .bind(rollout.created_ms)
            .bind(rollout.updated_ms)
            .bind(rollout.ended_ms)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(())
        })
        .await
    }

    /// One rollout.
    pub async fn rollout(&self, id: &str) -> Result<Option<Rollout>, StoreError> {
        self.timed("rollout", async move {
            let row = sqlx::query(&format!("SELECT {COLUMNS} FROM rollouts WHERE id = $1"))
                .bind(id)
                .fetch_optional(self.pool())
                .await?;
            Ok(row.as_ref().map(rollout_of))
        })
        .await
    }

    /// Every rollout of `contract` (of every contract when `None`),
    /// newest first.
    pub async fn rollouts(&self, contract: Option<&str>) -> Result<Vec<Rollout>, StoreError> {
        self.timed("rollouts", async move {
            let rows = sqlx::query(&format!(
                "SELECT {COLUMNS} FROM rollouts WHERE ($1 = '' OR contract_id = $1) \
                 ORDER BY created_ms DESC, id DESC"
            ))
            .bind(contract.unwrap_or(""))
            .fetch_all(self.pool())
            .await?;
            Ok(rows.iter().map(rollout_of).collect())
        })
        .await
    }

    /// Raises a running rollout's share to `percent_bp`; only upwards, so
    /// no user in the candidate group ever leaves it. Returns whether it
    /// changed.
    pub async fn raise_rollout(&self, id: &str, percent_bp: i64) -> Result<bool, StoreError> {
        self.timed("raise_rollout", async move {
            let done = sqlx::query(
                "UPDATE rollouts SET percent_bp = $1, updated_ms = $2 \
                 WHERE id = $3 AND state = 'running' AND percent_bp <= $1",
            )
            .bind(percent_bp)
            .bind(now_ms())
            .bind(id)
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// Ends a running rollout as `state`, in one transaction with its pins:
    /// a rollback returns the candidate group to the version each came
    /// from (the control for users pinned by the rollout itself); either
    /// way the pins are released from the rollout. Returns the number of
    /// pins moved back, or `None` when it was not running.
    pub async fn end_rollout(
        &self,
        rollout: &Rollout,
        state: RolloutState,
        reason: &str,
    ) -> Result<Option<u64>, StoreError> {
        self.timed("end_rollout", async move {
            let now = now_ms();
            let mut tx = self.write().await?;
            let ended = sqlx::query(
                "UPDATE rollouts SET state = $1, reason = $2, updated_ms = $3, ended_ms = $3 \
                 WHERE id = $4 AND state = 'running'",
            )
            .bind(state.as_str())
            .bind(reason)
            .bind(now)
            .bind(&rollout.id)
            .execute(&mut *tx)
            .await?;
            if ended.rows_affected() != 1 {
                return Ok(None);
            }
            let mut moved = 0;
            if state == RolloutState::RolledBack {
                moved = sqlx::query(
                    "UPDATE contract_pins SET version = COALESCE(previous_version, $1), \
                     previous_version = $2, rollout_id = NULL, pinned_ms = $3 \
                     WHERE rollout_id = $4 AND version = $2",
                )
                .bind(&rollout.control)
                .bind(&rollout.candidate)
                .bind(now)
                .bind(&rollout.id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
            sqlx::query("UPDATE contract_pins SET rollout_id = NULL WHERE rollout_id = $1")
                .bind(&rollout.id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await?;
            Ok(Some(moved))
        })
        .await
    }

    /// Pins a new user for `rollout` (to either group), unless they have
    /// a pin already; returns the pin that holds.
    pub async fn create_rollout_pin(
        &self,
        user_id: &str,
        rollout: &Rollout,
        version: &str,
        bucket: i64,
    ) -> Result<super::Pin, StoreError> {
        self.timed("create_rollout_pin", async move {
            sqlx::query(
                "INSERT INTO contract_pins \
                 (user_id, contract_id, version, previous_version, bucket, pinned_ms, rollout_id) \
                 VALUES ($1, $2, $3, NULL, $4, $5, $6) ON CONFLICT (user_id, contract_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(&rollout.contract_id)
            .bind(version)
            .bind(bucket)
            .bind(now_ms())
            .bind(&rollout.id)
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await?;
        self.pin(user_id, &rollout.contract_id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("the pin of {user_id}")))
    }

    /// Moves a pin into `rollout`'s candidate group (from `from`, which it
    /// remembers), or only marks it as the rollout's when `from == to`;
    /// a compare-and-set, so two requests at once move it once.
    pub async fn move_pin_into(
        &self,
        user_id: &str,
        rollout: &Rollout,
        from: &str,
        to: &str,
    ) -> Result<bool, StoreError> {
        self.timed("move_pin_into", async move {
            let query = if from == to {
                "UPDATE contract_pins SET rollout_id = $5 \
                 WHERE user_id = $3 AND contract_id = $4 AND version = $2 AND $1 = $2"
            } else {
                "UPDATE contract_pins SET version = $1, previous_version = $2, pinned_ms = $6, \
                 rollout_id = $5 WHERE user_id = $3 AND contract_id = $4 AND version = $2"
            };
            let mut q = sqlx::query(query)
                .bind(to)
                .bind(from)
                .bind(user_id)
                .bind(&rollout.contract_id)
                .bind(&rollout.id);
            if from != to {
                q = q.bind(now_ms());
            }
            let done = q.execute(self.pool()).await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// The pins `rollout` holds, by version.
    pub async fn rollout_pins(&self, rollout: &str) -> Result<Vec<(String, i64)>, StoreError> {
        self.timed("rollout_pins", async move {
            let rows = sqlx::query(
                "SELECT version, COUNT(*) AS n FROM contract_pins WHERE rollout_id = $1 \
                 GROUP BY version ORDER BY version",
            )
            .bind(rollout)
            .fetch_all(self.pool())
            .await?;
            Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
        .await
    }

    /// The keyed usage records of `contract` at `versions` between
    /// `from_ms` and `to_ms`, grouped by version, outcome and output check.
    pub async fn tallies(
        &self,
        contract: &str,
        versions: [&str; 2],
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<Tally>, StoreError> {
        self.timed("tallies", async move {
            let rows = sqlx::query(
                "SELECT contract_version, outcome, output_ok, COUNT(*), \
                 CAST(SUM(input_tokens) AS BIGINT), CAST(SUM(output_tokens) AS BIGINT), \
                 CAST(SUM(cost_micro_usd) AS BIGINT), CAST(SUM(latency_ms) AS BIGINT) \
                 FROM usage_records WHERE contract_id = $1 AND created_ms >= $2 AND created_ms < $3 \
                 AND user_id IS NOT NULL AND contract_version IN ($4, $5) \
                 GROUP BY contract_version, outcome, output_ok",
            )
            .bind(contract)
            .bind(from_ms)
            .bind(to_ms)
            .bind(versions[0])
            .bind(versions[1])
            .fetch_all(self.pool())
            .await?;
            Ok(rows
                .iter()
                .map(|r| Tally {
                    version: r.get(0),
                    outcome: r.get(1),
                    output_ok: r.get::<Option<i64>, _>(2).map(|v| v != 0),
                    count: r.get(3),
                    input_tokens: r.get::<Option<i64>, _>(4).unwrap_or(0),
                    output_tokens: r.get::<Option<i64>, _>(5).unwrap_or(0),
                    cost_micro_usd: r.get::<Option<i64>, _>(6).unwrap_or(0),
                    latency_ms: r.get::<Option<i64>, _>(7).unwrap_or(0),
                })
                .collect())
        })
        .await
    }

    /// The ratings of `contract` at `version` given between `from_ms` and
    /// `to_ms`.
    pub async fn ratings(
        &self,
        contract: &str,
        version: &str,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Ratings, StoreError> {
        self.timed("ratings", async move {
            let rows = sqlx::query(
                "SELECT rating, COUNT(*) FROM feedback WHERE contract_id = $1 \
                 AND contract_version = $2 AND created_ms >= $3 AND created_ms < $4 GROUP BY rating",
            )
            .bind(contract)
            .bind(version)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(self.pool())
            .await?;
            let mut ratings = Ratings::default();
            for row in &rows {
                match row.get::<i64, _>(0) {
                    1 => ratings.up += row.get::<i64, _>(1),
                    -1 => ratings.down += row.get::<i64, _>(1),
                    _ => {}
                }
            }
            Ok(ratings)
        })
        .await
    }

    /// The contract, version and user of a recorded request, for feedback
    /// on it.
    pub async fn answered_request(
        &self,
        request_id: &str,
    ) -> Result<Option<(Option<String>, String, String, String)>, StoreError> {
        self.timed("answered_request", async move {
            let row = sqlx::query(
                "SELECT user_id, contract_id, contract_version, outcome FROM usage_records \
                 WHERE request_id = $1",
            )
            .bind(request_id)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.map(|r| (r.get(0), r.get(1), r.get(2), r.get(3))))
        })
        .await
    }

    /// Records (or replaces) a rating.
    pub async fn record_feedback(&self, feedback: &Feedback) -> Result<(), StoreError> {
        self.timed("record_feedback", async move {
            sqlx::query(
                "INSERT INTO feedback (request_id, user_id, contract_id, contract_version, rating, comment, created_ms) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (request_id) DO UPDATE SET \
                 rating = excluded.rating, comment = excluded.comment, created_ms = excluded.created_ms",
            )
            .bind(&feedback.request_id)
            .bind(&feedback.user_id)
            .bind(&feedback.contract_id)
            .bind(&feedback.contract_version)
            .bind(feedback.rating)
            .bind(&feedback.comment)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await
    }
}
