//! The durable queue: jobs live in the database. A worker claims the next
//! job with a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on SQLite the
//! one writer makes the claim atomic), renews it while it works, and
//! completes it fenced by its attempt number, in one transaction with the
//! quota settlement and the usage record. A lease that runs out (its worker
//! died) lets another worker claim the job again.

use super::quota::{end, Amounts};
use super::usage::{insert_record, UsageRecord};
use super::{now_ms, random_hex, Backend, Store, StoreError};
use sqlx::Row;

/// A job's state.
pub mod state {
    /// Waiting for a worker.
    pub const QUEUED: &str = "queued";
    /// A worker holds its lease.
    pub const RUNNING: &str = "running";
    /// Finished, with its result (an answer or a failure).
    pub const DONE: &str = "done";
    /// Cancelled by its user before a worker took it.
    pub const CANCELLED: &str = "cancelled";
}

/// A job as its user sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its id (`job_…`, random: not guessable).
    pub id: String,
    /// Whose it is.
    pub user_id: String,
    /// The contract.
    pub contract_id: String,
    /// `queued`, `running`, `done` or `cancelled`.
    pub state: String,
    /// The result body, once done.
    pub result: Option<String>,
    /// The result's HTTP status, once done.
    pub status_code: Option<i64>,
    /// How many times a worker claimed it.
    pub attempt: i64,
    /// When it was accepted (ms).
    pub created_ms: i64,
    /// When a worker last took it.
    pub started_ms: Option<i64>,
    /// When it finished.
    pub finished_ms: Option<i64>,
    /// The worker that holds it, or that completed it.
    pub worker: Option<String>,
}

/// When a job came, was taken and finished (ms since the epoch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobTimes {
    /// When it was accepted.
    pub created_ms: i64,
    /// When a worker last took it.
    pub started_ms: Option<i64>,
    /// When it was done or cancelled.
    pub finished_ms: Option<i64>,
    /// Its state ([`state`]).
    pub state: String,
}

/// A job a worker holds.
#[derive(Debug, Clone)]
pub struct Claim {
    /// The job's id.
    pub id: String,
    /// The fencing token: this claim's attempt number.
    pub attempt: i64,
    /// What to run (the JSON the route stored).
    pub request: String,
    /// When it was accepted (ms).
    pub created_ms: i64,
}

const JOB_COLUMNS: &str =
    "id, user_id, contract_id, state, result, status_code, attempt, created_ms, started_ms, finished_ms, lease_owner";

fn job_of(row: &sqlx::any::AnyRow) -> Job {
    Job {
        id: row.get(0),
        user_id: row.get(1),
        contract_id: row.get(2),
        state: row.get(3),
        result: row.get(4),
        status_code: row.get(5),
        attempt: row.get(6),
        created_ms: row.get(7),
        started_ms: row.get(8),
        finished_ms: row.get(9),
        worker: row.get(10),
    }
}

impl Store {
    /// Accepts a job for `user_id`: it is durable once this returns. Its id
    /// is also its request's id (the quota reservation's and the usage
    /// record's).
    pub async fn enqueue(
        &self,
        id: &str,
        user_id: &str,
        contract_id: &str,
        request: &str,
    ) -> Result<Job, StoreError> {
        self.timed("enqueue", async move {
        let now = now_ms();
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO jobs (id, user_id, contract_id, state, request, attempt, fair_key, created_ms) \
             SELECT $1, $2, $3, $4, $5, 0, COUNT(*), $6 FROM jobs WHERE user_id = $2 AND state IN ($4, $7)",
        )
        .bind(id)
        .bind(user_id)
        .bind(contract_id)
        .bind(state::QUEUED)
        .bind(request)
        .bind(now)
        .bind(state::RUNNING)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Job {
            id: id.to_owned(),
            user_id: user_id.to_owned(),
            contract_id: contract_id.to_owned(),
            state: state::QUEUED.to_owned(),
            result: None,
            status_code: None,
            attempt: 0,
            created_ms: now,
            started_ms: None,
            finished_ms: None,
            worker: None,
        })
        })
        .await
    }

    /// A new job id: `job_` and 96 random bits.
    pub fn new_job_id() -> String {
        format!("job_{}", random_hex(12))
    }

    /// Claims the next job for `worker` for `lease_ms`: a queued one, or a
    /// running one whose lease ran out; users take turns.
    pub async fn claim(&self, worker: &str, lease_ms: i64) -> Result<Option<Claim>, StoreError> {
        self.timed("claim", async move {
        let now = now_ms();
        let lock = match self.backend() {
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = $1, attempt = attempt + 1, lease_owner = $2, lease_expires_ms = $3, \
             started_ms = $4 WHERE id = (SELECT id FROM jobs WHERE state = $5 OR (state = $1 AND lease_expires_ms < $4) \
             ORDER BY fair_key, created_ms LIMIT 1 {lock}) RETURNING id, attempt, request, created_ms"
        );
        let mut tx = self.write().await?;
        let row = sqlx::query(&sql)
            .bind(state::RUNNING)
            .bind(worker)
            .bind(now + lease_ms)
            .bind(now)
            .bind(state::QUEUED)
            .fetch_optional(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(row.map(|row| Claim {
            id: row.get(0),
            attempt: row.get(1),
            request: row.get(2),
            created_ms: row.get(3),
        }))
        })
        .await
    }

    /// Renews a claim's lease; `false` when the lease was taken over (the
    /// worker must stop: it can no longer complete the job).
    pub async fn renew(&self, claim: &Claim, lease_ms: i64) -> Result<bool, StoreError> {
        self.timed("renew", async move {
            let done = sqlx::query(
            "UPDATE jobs SET lease_expires_ms = $1 WHERE id = $2 AND attempt = $3 AND state = $4",
        )
        .bind(now_ms() + lease_ms)
        .bind(&claim.id)
        .bind(claim.attempt)
        .bind(state::RUNNING)
        .execute(self.pool())
        .await?;
            Ok(done.rows_affected() > 0)
        })
        .await
    }

    /// Completes a claimed job with its result, settles its reservation at
    /// `used` and writes its usage record, all in one transaction, fenced
    /// by the claim's attempt: a worker whose lease was taken over changes
    /// nothing and gets `false`.
    pub async fn complete(
        &self,
        claim: &Claim,
        status_code: u16,
        result: &str,
        used: Amounts,
        record: &UsageRecord,
    ) -> Result<bool, StoreError> {
        self.timed("complete", async move {
            let now = now_ms();
            let mut tx = self.write().await?;
            let fenced = sqlx::query(
                "UPDATE jobs SET state = $1, result = $2, status_code = $3, finished_ms = $4 \
             WHERE id = $5 AND attempt = $6 AND state = $7",
            )
            .bind(state::DONE)
            .bind(result)
            .bind(i64::from(status_code))
            .bind(now)
            .bind(&claim.id)
            .bind(claim.attempt)
            .bind(state::RUNNING)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if fenced == 0 {
                tx.rollback().await?;
                return Ok(false);
            }
            let how = if used == Amounts::default() {
                "released"
            } else {
                "settled"
            };
            end(&mut tx, &claim.id, used, how, now).await?;
            insert_record(&mut tx, record).await?;
            tx.commit().await?;
            Ok(true)
        })
        .await
    }

    /// Cancels a queued job of `user_id` and releases its reservation;
    /// `false` when it is not queued (or not theirs).
    pub async fn cancel(&self, id: &str, user_id: &str) -> Result<bool, StoreError> {
        self.timed("cancel", async move {
        let now = now_ms();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = $1, finished_ms = $2 WHERE id = $3 AND user_id = $4 AND state = $5",
        )
        .bind(state::CANCELLED)
        .bind(now)
        .bind(id)
        .bind(user_id)
        .bind(state::QUEUED)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done > 0 {
            end(&mut tx, id, Amounts::default(), "released", now).await?;
        }
        tx.commit().await?;
        Ok(done > 0)
        })
        .await
    }

    /// The job `id` if it belongs to `user_id` (another user's job is
    /// `None`, as if it did not exist).
    pub async fn job(&self, id: &str, user_id: &str) -> Result<Option<Job>, StoreError> {
        self.timed("job", async move {
            let row = sqlx::query(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND user_id = $2"
            ))
            .bind(id)
            .bind(user_id)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.as_ref().map(job_of))
        })
        .await
    }

    /// How many queued jobs a worker takes before job `id` (0: it is next).
    pub async fn position(&self, id: &str) -> Result<i64, StoreError> {
        self.timed("position", async move {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM jobs o, jobs j WHERE j.id = $1 AND o.state = $2 \
             AND (o.fair_key < j.fair_key OR (o.fair_key = j.fair_key AND o.created_ms < j.created_ms))",
        )
        .bind(id)
        .bind(state::QUEUED)
        .fetch_one(self.pool())
        .await?;
        Ok(row.get(0))
        })
        .await
    }

    /// Jobs waiting, and jobs being worked on.
    pub async fn queue_depth(&self) -> Result<(i64, i64), StoreError> {
        self.timed("queue_depth", async move {
        let row = sqlx::query(
            "SELECT CAST(COALESCE(SUM(CASE WHEN state = $1 THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN state = $2 THEN 1 ELSE 0 END), 0) AS BIGINT) FROM jobs WHERE state IN ($1, $2)",
        )
        .bind(state::QUEUED)
        .bind(state::RUNNING)
        .fetch_one(self.pool())
        .await?;
        Ok((row.get(0), row.get(1)))
        })
        .await
    }

    /// Jobs finished since `since_ms`, and the mean time a worker spent on
    /// each (ms), for the ETA.
    pub async fn service_rate(&self, since_ms: i64) -> Result<(i64, Option<f64>), StoreError> {
        self.timed("service_rate", async move {
        let row = sqlx::query(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(finished_ms - started_ms), 0) AS BIGINT) \
             FROM jobs WHERE state = $1 AND finished_ms >= $2",
        )
        .bind(state::DONE)
        .bind(since_ms)
        .fetch_one(self.pool())
        .await?;
        let (n, total): (i64, i64) = (row.get(0), row.get(1));
        Ok((n, (n > 0).then(|| total as f64 / n as f64)))
        })
        .await
    }

    /// When each job that was in the queue after `since_ms` came, was
    /// taken and finished, oldest first and at most `limit`: the queue's
    /// history, for the operator.
    pub async fn job_times(&self, since_ms: i64, limit: i64) -> Result<Vec<JobTimes>, StoreError> {
        self.timed("job_times", async move {
            let rows = sqlx::query(
                "SELECT created_ms, started_ms, finished_ms, state FROM jobs \
             WHERE finished_ms IS NULL OR finished_ms >= $1 ORDER BY created_ms LIMIT $2",
            )
            .bind(since_ms)
            .bind(limit)
            .fetch_all(self.pool())
            .await?;
            Ok(rows
                .iter()
                .map(|row| JobTimes {
                    created_ms: row.get(0),
                    started_ms: row.get(1),
                    finished_ms: row.get(2),
                    state: row.get(3),
                })
                .collect())
        })
        .await
    }
}
