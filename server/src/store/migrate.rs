//! The schema's migrations, embedded in the binary and run in order at
//! start. Each runs in its own transaction and is recorded in
//! `schema_migrations`, so a failed one leaves the previous schema. On
//! PostgreSQL an advisory lock keeps two instances starting together from
//! running the same migration twice.

use super::{now_ms, Backend, Store, StoreError};
use sqlx::{Executor, Row};

/// Every migration: its number, its file name and its SQL.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "0001_accounts_quotas_usage.sql",
        include_str!("../../migrations/0001_accounts_quotas_usage.sql"),
    ),
    (
        2,
        "0002_jobs.sql",
        include_str!("../../migrations/0002_jobs.sql"),
    ),
    (
        3,
        "0003_rollouts.sql",
        include_str!("../../migrations/0003_rollouts.sql"),
    ),
];

/// A number only this program uses for `pg_advisory_lock`.
const LOCK_KEY: i64 = 0x7072_6566_6c69;

pub(super) async fn run(store: &Store) -> Result<(), StoreError> {
    let mut conn = store.pool().acquire().await?;
    if store.backend() == Backend::Postgres {
        conn.execute(sqlx::query("SELECT pg_advisory_lock($1)").bind(LOCK_KEY))
            .await?;
    }
    let result = apply(store, &mut conn).await;
    if store.backend() == Backend::Postgres {
        conn.execute(sqlx::query("SELECT pg_advisory_unlock($1)").bind(LOCK_KEY))
            .await?;
    }
    result
}

async fn apply(store: &Store, conn: &mut sqlx::AnyConnection) -> Result<(), StoreError> {
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (\
             version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_ms BIGINT NOT NULL)",
    )
    .await?;
    let done: Vec<i64> = sqlx::query("SELECT version FROM schema_migrations")
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| row.get::<i64, _>(0))
        .collect();
    for &(version, name, sql) in MIGRATIONS {
        if done.contains(&version) {
            continue;
        }
        let fail = |source| StoreError::Migrate {
            version,
            name,
            source,
        };
        let begin = match store.backend() {
            Backend::Sqlite => "BEGIN IMMEDIATE",
            Backend::Postgres => "BEGIN",
        };
        conn.execute(begin).await.map_err(fail)?;
        let applied = async {
            conn.execute(sqlx::raw_sql(sql)).await?;
            conn.execute(
                sqlx::query(
                    "INSERT INTO schema_migrations (version, name, applied_ms) VALUES ($1, $2, $3)",
                )
                .bind(version)
                .bind(name)
                .bind(now_ms()),
            )
            .await
        }
        .await;
        match applied {
            Ok(_) => {
                conn.execute("COMMIT").await.map_err(fail)?;
                tracing::info!(version, name, "migration applied");
            }
            Err(source) => {
                let _ = conn.execute("ROLLBACK").await;
                return Err(fail(source));
            }
        }
    }
    Ok(())
}
