//! Users, tiers and API keys. A key is shown once, when it is made; the
//! database keeps only its SHA-256, so a stolen database gives no keys.

use super::{now_ms, random_hex, Store, StoreError};
use sha2::{Digest, Sha256};
use sqlx::Row;

/// The prefix of every key, so a leaked one is recognisable.
pub const KEY_PREFIX: &str = "pp_";

/// A key just made: the secret, shown once, and who it belongs to.
#[derive(Debug, Clone)]
pub struct NewKey {
    /// The key itself (`pp_…`), never stored.
    pub secret: String,
    /// The key's public id (its first characters), for listings and revoking.
    pub id: String,
    /// The user it belongs to.
    pub user_id: String,
    /// The user's tier.
    pub tier: String,
}

/// Who a request comes from: the user and tier of a valid key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    /// The user's id (`u_…`), which the records and jobs carry.
    pub user_id: String,
    /// The user's name.
    pub user_name: String,
    /// The user's tier, a tier name of the contracts.
    pub tier: String,
    /// The key's public id.
    pub key_id: String,
    /// Whether the key opens the operator endpoints.
    pub admin: bool,
}

/// A key as listings show it: never the secret.
#[derive(Debug, Clone)]
pub struct KeyInfo {
    /// Its public id.
    pub id: String,
    /// Its user's name.
    pub user_name: String,
    /// Its user's tier.
    pub tier: String,
    /// Whether it is an operator key.
    pub admin: bool,
    /// When it was made (ms since the epoch).
    pub created_ms: i64,
    /// When it was revoked, if it was.
    pub revoked_ms: Option<i64>,
}

/// The SHA-256 of a key, as stored.
fn hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Store {
    /// Makes a key for `user` (created on the tier `tier` if new; moved to
    /// `tier` if it was on another), and returns it. `admin` keys open the
    /// operator endpoints.
    pub async fn create_key(
        &self,
        user: &str,
        tier: &str,
        admin: bool,
    ) -> Result<NewKey, StoreError> {
        self.timed("create_key", async move {
        let now = now_ms();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO tiers (name, created_ms) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(tier)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let new_id = format!("u_{}", random_hex(12));
        sqlx::query(
            "INSERT INTO users (id, name, tier, created_ms) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET tier = excluded.tier",
        )
        .bind(&new_id)
        .bind(user)
        .bind(tier)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let user_id: String = sqlx::query("SELECT id FROM users WHERE name = $1")
            .bind(user)
            .fetch_one(&mut *tx)
            .await?
            .get(0);
        let body = random_hex(24);
        let secret = format!("{KEY_PREFIX}{body}");
        let id = format!("{KEY_PREFIX}{}", &body[..8]);
        sqlx::query(
            "INSERT INTO api_keys (id, user_id, hash, admin, created_ms) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&id)
        .bind(&user_id)
        .bind(hash(&secret))
        .bind(i64::from(admin))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(NewKey {
            secret,
            id,
            user_id,
            tier: tier.to_owned(),
        })
        })
        .await
    }

    /// The caller a key belongs to, or `None` for an unknown or revoked key.
    pub async fn authenticate(&self, secret: &str) -> Result<Option<Caller>, StoreError> {
        self.timed("authenticate", async move {
            if !secret.starts_with(KEY_PREFIX) {
                return Ok(None);
            }
            let row = sqlx::query(
                "SELECT k.id, k.admin, u.id, u.name, u.tier FROM api_keys k \
             JOIN users u ON u.id = k.user_id WHERE k.hash = $1 AND k.revoked_ms IS NULL",
            )
            .bind(hash(secret))
            .fetch_optional(self.pool())
            .await?;
            Ok(row.map(|row| Caller {
                key_id: row.get(0),
                admin: row.get::<i64, _>(1) != 0,
                user_id: row.get(2),
                user_name: row.get(3),
                tier: row.get(4),
            }))
        })
        .await
    }

    /// Revokes the key with this public id (or the key itself); says
    /// whether one was revoked.
    pub async fn revoke_key(&self, id_or_secret: &str) -> Result<bool, StoreError> {
        self.timed("revoke_key", async move {
        let done = sqlx::query(
            "UPDATE api_keys SET revoked_ms = $1 WHERE (id = $2 OR hash = $3) AND revoked_ms IS NULL",
        )
        .bind(now_ms())
        .bind(id_or_secret)
        .bind(hash(id_or_secret))
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Every user: id, name and tier.
    pub async fn users(&self) -> Result<Vec<(String, String, String)>, StoreError> {
        self.timed("users", async move {
            let rows = sqlx::query("SELECT id, name, tier FROM users ORDER BY name")
                .fetch_all(self.pool())
                .await?;
            Ok(rows
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect())
        })
        .await
    }

    /// Every key, newest first.
    pub async fn keys(&self) -> Result<Vec<KeyInfo>, StoreError> {
        self.timed("keys", async move {
            let rows = sqlx::query(
                "SELECT k.id, u.name, u.tier, k.admin, k.created_ms, k.revoked_ms FROM api_keys k \
             JOIN users u ON u.id = k.user_id ORDER BY k.created_ms DESC, k.id",
            )
            .fetch_all(self.pool())
            .await?;
            Ok(rows
                .iter()
                .map(|row| KeyInfo {
                    id: row.get(0),
                    user_name: row.get(1),
                    tier: row.get(2),
                    admin: row.get::<i64, _>(3) != 0,
                    created_ms: row.get(4),
                    revoked_ms: row.get(5),
                })
                .collect())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_hash_is_not_the_key() {
        let h = hash("pp_abc");
        assert_eq!(h.len(), 64);
        assert!(!h.contains("abc"));
    }
}
