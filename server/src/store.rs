//! Storage: users and API keys, quota counters and reservations, usage
//! records and contract pins, on SQLite (the embedded default, a file under
//! `./data/`) or PostgreSQL (`DATABASE_URL=postgres://…`, for several
//! instances on one database).
//!
//! One set of migrations and queries serves both, through sqlx's `Any`
//! driver: integers for times (milliseconds since the epoch, UTC), money
//! (micro-dollars) and flags, so sums are exact on both. Where the two
//! databases differ (how a write transaction starts), [`Backend`] says which
//! one this is.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use prompt_preflight_server::store::Store;
//! let store = Store::memory().await.unwrap();
//! let key = store.create_key("ada", "free", false).await.unwrap();
//! let caller = store.authenticate(&key.secret).await.unwrap().unwrap();
//! assert_eq!((caller.user_name.as_str(), caller.tier.as_str()), ("ada", "free"));
//! # });
//! ```

mod jobs;
mod keys;
mod migrate;
mod pins;
mod quota;
mod rollouts;
mod usage;

pub use jobs::{state as job_state, Claim, Job, JobTimes};
pub use keys::KEY_PREFIX;
pub use keys::{Caller, KeyInfo, NewKey};
pub use pins::Pin;
pub use quota::{Amounts, Caps, Counter, Held, Metric, Reservation, Shortfall};
pub use rollouts::{Feedback, Ratings, Rollout, RolloutState, Tally};
pub use usage::{UsageRecord, UsageRow, UsageTotals};

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The database used when none is configured.
pub const DEFAULT_URL: &str = "sqlite://data/preflight.db";

/// Why storage failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database could not be opened (wrong URL, server down, no
    /// permission).
    #[error("cannot open the database {url}: {source}")]
    Open {
        /// The URL, without its password.
        url: String,
        /// What the driver said.
        source: sqlx::Error,
    },
    /// The directory for the SQLite file could not be created.
    #[error("cannot create the directory {path} for the database: {source}")]
    Directory {
        /// The directory.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A migration failed; the database is left at the previous one.
    #[error("migration {version} ({name}) failed: {source}")]
    Migrate {
        /// Its number.
        version: i64,
        /// Its file name.
        name: &'static str,
        /// What the database said.
        source: sqlx::Error,
    },
    /// The database refused a query or went away.
    #[error("the database failed: {0}")]
    Query(#[from] sqlx::Error),
    /// A named user, tier or key does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with the state it would change (a rollout
    /// already running).
    #[error("{0}")]
    Conflict(String),
}

/// Which database a [`Store`] talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// SQLite: one connection, write transactions `BEGIN IMMEDIATE`.
    Sqlite,
    /// PostgreSQL: a pool; rows are claimed with `FOR UPDATE SKIP LOCKED`.
    Postgres,
}

/// Told how long each store operation took: its name (the method, e.g.
/// `claim`) and the time, from its first statement to its commit.
pub type Timer = Arc<dyn Fn(&'static str, Duration) + Send + Sync>;

/// The database: a pool and which kind it is. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    timer: Option<Timer>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("timed", &self.timer.is_some())
            .finish()
    }
}

impl Store {
    /// Opens the database at `url` (`sqlite://path`, `sqlite::memory:`,
    /// `postgres://…`), creating a SQLite file and its directory when
    /// missing, and runs the migrations it has not run yet.
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        };
        let open_error = |source| StoreError::Open {
            url: redact(url),
            source,
        };
        let options = match backend {
            Backend::Postgres => AnyPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10)),
            // SQLite has one writer: one connection queues every statement
            // in order, with no busy waits and no lock upgrades. WAL keeps
            // a committed transaction across a crash of the process.
            Backend::Sqlite => AnyPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(
                            "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                             PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                        )
                        .await?;
                        Ok(())
                    })
                }),
        };
        let connect_url = match backend {
            Backend::Sqlite => sqlite_url(url)?,
            Backend::Postgres => url.to_owned(),
        };
        let connect = AnyConnectOptions::from_str(&connect_url).map_err(open_error)?;
        let pool = options.connect_with(connect).await.map_err(open_error)?;
        let store = Store {
            pool,
            backend,
            timer: None,
        };
        migrate::run(&store).await?;
        Ok(store)
    }

    /// A fresh in-memory SQLite database, migrated: for tests and demos.
    pub async fn memory() -> Result<Store, StoreError> {
        Store::open("sqlite::memory:").await
    }

    /// Which database this is.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The same database, telling `timer` how long each operation takes
    /// (the server feeds it to `preflight_db_seconds` in `/metrics`).
    pub fn with_timer(mut self, timer: Timer) -> Store {
        self.timer = Some(timer);
        self
    }

    /// Runs one operation, timing it when a timer is set.
    pub(crate) async fn timed<T>(
        &self,
        op: &'static str,
        work: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        let Some(timer) = &self.timer else {
            return work.await;
        };
        let started = std::time::Instant::now();
        let done = work.await;
        timer(op, started.elapsed());
        done
    }

    /// The pool, for the store's own modules.
    pub(crate) fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction: `BEGIN IMMEDIATE` on SQLite, so it holds
    /// the write lock from its first statement and never has to upgrade.
    pub(crate) async fn write(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, StoreError> {
        Ok(match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        })
    }

    /// Closes the pool, waiting for connections in use.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Milliseconds since the Unix epoch, now.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// `len` random bytes as lowercase hex, from the operating system: ids
/// nobody can guess.
pub fn random_hex(len: usize) -> String {
    let mut bytes = vec![0u8; len];
    // The OS generator failing is not something to carry on from.
    getrandom::fill(&mut bytes).expect("the operating system's random generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A SQLite URL that creates the file (and its directory) when missing.
fn sqlite_url(url: &str) -> Result<String, StoreError> {
    if url.contains(":memory:") || url.contains("mode=memory") {
        return Ok(url.to_owned());
    }
    let path = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let file = path.split('?').next().unwrap_or(path);
    if let Some(dir) = Path::new(file)
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Directory {
            path: dir.display().to_string(),
            source,
        })?;
    }
    let mut full = format!("sqlite://{path}");
    if !path.contains("mode=") {
        full.push(if path.contains('?') { '&' } else { '?' });
        full.push_str("mode=rwc");
    }
    Ok(full)
}

/// `url` without the password, for messages and logs.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}://{user}:***@{}", &url[..scheme], &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_not_shown() {
        assert_eq!(
            redact("postgres://app:s3cret@db:5432/pp"),
            "postgres://app:***@db:5432/pp"
        );
        assert_eq!(redact("sqlite://data/x.db"), "sqlite://data/x.db");
    }

    #[test]
    fn a_sqlite_file_is_created_when_missing() {
        assert_eq!(
            sqlite_url("sqlite://target/x/y.db").unwrap(),
            "sqlite://target/x/y.db?mode=rwc"
        );
        assert_eq!(sqlite_url("sqlite::memory:").unwrap(), "sqlite::memory:");
    }
}
