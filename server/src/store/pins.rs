//! Which version of a contract each user is on: the pin, made on the
//! user's first request and moved only by a compatible release, an
//! upgrade the user asks for, or a rollout.

use super::{now_ms, Store, StoreError};
use sqlx::Row;

/// A user's pin on one contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The version the user is on.
    pub version: String,
    /// The version before the last move, if it moved.
    pub previous_version: Option<String>,
    /// The user's rollout bucket for this contract, 0 to 9,999.
    pub bucket: Option<i64>,
    /// When the pin was made or last moved (ms since the epoch).
    pub pinned_ms: i64,
    /// The rollout that assigned it, while that rollout runs.
    pub rollout_id: Option<String>,
}

fn pin_of(row: &sqlx::any::AnyRow) -> Pin {
    Pin {
        version: row.get("version"),
        previous_version: row.get("previous_version"),
        bucket: row.get("bucket"),
        pinned_ms: row.get("pinned_ms"),
        rollout_id: row.get("rollout_id"),
    }
}

impl Store {
    /// The user's pin on `contract`, if they have one.
    pub async fn pin(&self, user_id: &str, contract: &str) -> Result<Option<Pin>, StoreError> {
        self.timed("pin", async move {
            let row = sqlx::query(
                "SELECT version, previous_version, bucket, pinned_ms, rollout_id FROM contract_pins \
                 WHERE user_id = $1 AND contract_id = $2",
            )
            .bind(user_id)
            .bind(contract)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(pin_of))
        })
        .await
    }

    /// Pins the user to `version` unless they already have a pin, and
    /// returns the pin that holds (two first requests at once agree on one).
    pub async fn create_pin(
        &self,
        user_id: &str,
        contract: &str,
        version: &str,
        bucket: i64,
    ) -> Result<Pin, StoreError> {
        self.timed("create_pin", async move {
            sqlx::query(
                "INSERT INTO contract_pins (user_id, contract_id, version, previous_version, bucket, pinned_ms) \
                 VALUES ($1, $2, $3, NULL, $4, $5) ON CONFLICT (user_id, contract_id) DO NOTHING",
            )
            .bind(user_id)
            .bind(contract)
            .bind(version)
            .bind(bucket)
            .bind(now_ms())
            .execute(self.pool())
            .await?;
            Ok(())
        })
        .await?;
        self.pin(user_id, contract)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("the pin of {user_id} on {contract}")))
    }

    /// Moves the user's pin from `from` to `to`, remembering `from`; only
    /// if the pin is still on `from` (so two moves at once make one).
    /// Returns whether it moved.
    pub async fn move_pin(
        &self,
        user_id: &str,
        contract: &str,
        from: &str,
        to: &str,
    ) -> Result<bool, StoreError> {
        self.timed("move_pin", async move {
            let done = sqlx::query(
                "UPDATE contract_pins SET version = $1, previous_version = $2, pinned_ms = $3 \
                 WHERE user_id = $4 AND contract_id = $5 AND version = $2",
            )
            .bind(to)
            .bind(from)
            .bind(now_ms())
            .bind(user_id)
            .bind(contract)
            .execute(self.pool())
            .await?;
            Ok(done.rows_affected() == 1)
        })
        .await
    }

    /// The input of the user's last recorded request to `contract`, when
    /// the server keeps inputs (`record_content`).
    pub async fn last_content(
        &self,
        user_id: &str,
        contract: &str,
    ) -> Result<Option<String>, StoreError> {
        self.timed("last_content", async move {
            let row = sqlx::query(
                "SELECT content FROM usage_records WHERE user_id = $1 AND contract_id = $2 \
                 AND content IS NOT NULL ORDER BY created_ms DESC LIMIT 1",
            )
            .bind(user_id)
            .bind(contract)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.map(|r| r.get("content")))
        })
        .await
    }
}
