//! Quota counters and reservations: admission is one conditional update
//! per counter (`SET reserved = reserved + n WHERE used + reserved + n <=
//! cap`), never a read and then a write; settlement moves what a request
//! held into what it used, once per request id; the sweeper releases what
//! dead requests still hold.

use super::usage::{insert_record, UsageRecord};
use super::{Store, StoreError};
use sqlx::{Any, Row, Transaction};

/// One allowance a counter keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Metric {
    /// Model requests this minute.
    RequestsMinute,
    /// Tokens (in and out) this minute.
    TokensMinute,
    /// Tokens (in and out) this calendar month.
    TokensMonth,
    /// Spend this calendar month, in micro-dollars.
    SpendMonth,
}

impl Metric {
    /// Every metric, in the order admission checks them.
    pub const ALL: [Metric; 4] = [
        Metric::RequestsMinute,
        Metric::TokensMinute,
        Metric::TokensMonth,
        Metric::SpendMonth,
    ];

    /// Its name in the database and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::RequestsMinute => "requests_minute",
            Metric::TokensMinute => "tokens_minute",
            Metric::TokensMonth => "tokens_month",
            Metric::SpendMonth => "spend_month",
        }
    }

    /// Whether its window is the calendar month (else the minute).
    pub fn monthly(self) -> bool {
        matches!(self, Metric::TokensMonth | Metric::SpendMonth)
    }

    /// Its window's start, of the minute's and the month's.
    pub fn window(self, minute_start: i64, month_start: i64) -> i64 {
        if self.monthly() {
            month_start
        } else {
            minute_start
        }
    }
}

/// What a request holds or used: requests, tokens and micro-dollars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Amounts {
    /// Model requests.
    pub requests: i64,
    /// Tokens, in and out.
    pub tokens: i64,
    /// Micro-dollars.
    pub spend: i64,
}

impl Amounts {
    /// The amount of `metric`.
    pub fn of(&self, metric: Metric) -> i64 {
        match metric {
            Metric::RequestsMinute => self.requests,
            Metric::TokensMinute | Metric::TokensMonth => self.tokens,
            Metric::SpendMonth => self.spend,
        }
    }
}

/// The caps of a tier, per metric (`None`: no limit, still counted).
pub type Caps = [(Metric, Option<i64>); 4];

/// A request's claim on a user's counters.
#[derive(Debug, Clone)]
pub struct Reservation {
    /// The request's id: one reservation, one settlement.
    pub request_id: String,
    /// Whose counters.
    pub user_id: String,
    /// Which contract's allowance.
    pub contract_id: String,
    /// The minute window (ms), for the per-minute counters.
    pub minute_start: i64,
    /// The month window (ms), for the monthly counters.
    pub month_start: i64,
    /// What it holds.
    pub amounts: Amounts,
    /// When the sweeper may release it if it is still held.
    pub expires_ms: i64,
}

impl Reservation {
    /// The window `metric` counts in for this reservation.
    fn window(&self, metric: Metric) -> i64 {
        metric.window(self.minute_start, self.month_start)
    }
}

/// A counter after admission: its window, what is used and held, its cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counter {
    /// Which allowance.
    pub metric: Metric,
    /// Its window's start (ms).
    pub window_start: i64,
    /// Settled.
    pub used: i64,
    /// Held by requests in flight.
    pub reserved: i64,
    /// The cap, if any.
    pub cap: Option<i64>,
}

impl Counter {
    /// What is left under the cap (`None` without one).
    pub fn remaining(&self) -> Option<i64> {
        self.cap.map(|cap| (cap - self.used - self.reserved).max(0))
    }
}

/// An admitted reservation: the counters as they stand with it.
#[derive(Debug, Clone)]
pub struct Held {
    /// Every metric's counter.
    pub counters: Vec<Counter>,
}

/// A refused reservation: the counter it would have overrun.
#[derive(Debug, Clone)]
pub struct Shortfall {
    /// The counter as it stands.
    pub counter: Counter,
    /// What the request asked for.
    pub wanted: i64,
}

/// The state of a reservation.
pub(super) const HELD: &str = "held";

/// Whether a reservation is held by a live job (a queued job may wait
/// long; the sweeper leaves its hold alone).
const LIVE_JOB: &str = "request_id IN (SELECT id FROM jobs WHERE state IN ('queued', 'running'))";
const SETTLED: &str = "settled";
const RELEASED: &str = "released";

impl Store {
    /// Reserves `r.amounts` on every counter at once, or none: the first
    /// counter it would overrun is the shortfall. Reserving a request id
    /// that is already reserved changes nothing.
    pub async fn reserve(
        &self,
        r: &Reservation,
        caps: &Caps,
        now: i64,
    ) -> Result<Result<Held, Shortfall>, StoreError> {
        self.timed("reserve", async move {
        let mut tx = self.write().await?;
        let inserted = sqlx::query(
            "INSERT INTO reservations (request_id, user_id, contract_id, minute_start, month_start, \
             requests, tokens, spend, state, created_ms, expires_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (request_id) DO NOTHING",
        )
        .bind(&r.request_id)
        .bind(&r.user_id)
        .bind(&r.contract_id)
        .bind(r.minute_start)
        .bind(r.month_start)
        .bind(r.amounts.requests)
        .bind(r.amounts.tokens)
        .bind(r.amounts.spend)
        .bind(HELD)
        .bind(now)
        .bind(r.expires_ms)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        let result = if inserted == 0 {
            Ok(Held {
                counters: read_counters(&mut tx, r, caps).await?,
            })
        } else {
            add_reserved(&mut tx, r, r.amounts, caps).await?
        };
        admitted(tx, result).await
        })
        .await
    }

    /// Adds `more` to a held reservation (a retry, a continuation, a
    /// re-ask), on the same terms as admission, and moves its expiry to
    /// `expires_ms`. A reservation no longer held cannot grow.
    pub async fn extend(
        &self,
        r: &Reservation,
        more: Amounts,
        caps: &Caps,
        expires_ms: i64,
    ) -> Result<Result<Held, Shortfall>, StoreError> {
        self.timed("extend", async move {
            let mut tx = self.write().await?;
            let grown = sqlx::query(
                "UPDATE reservations SET requests = requests + $1, tokens = tokens + $2, \
             spend = spend + $3, expires_ms = $4 WHERE request_id = $5 AND state = $6",
            )
            .bind(more.requests)
            .bind(more.tokens)
            .bind(more.spend)
            .bind(expires_ms)
            .bind(&r.request_id)
            .bind(HELD)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if grown == 0 {
                tx.rollback().await?;
                let counter = Counter {
                    metric: Metric::TokensMonth,
                    window_start: r.month_start,
                    used: 0,
                    reserved: 0,
                    cap: Some(0),
                };
                return Ok(Err(Shortfall {
                    counter,
                    wanted: more.tokens,
                }));
            }
            let result = add_reserved(&mut tx, r, more, caps).await?;
            admitted(tx, result).await
        })
        .await
    }

    /// Settles a reservation at what the request really `used`, and writes
    /// its usage record, in one transaction. Settling again (a retried
    /// settlement) changes nothing and returns `false`.
    pub async fn settle(
        &self,
        request_id: &str,
        used: Amounts,
        record: &UsageRecord,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.timed("settle", async move {
            let mut tx = self.write().await?;
            let ended = end(&mut tx, request_id, used, SETTLED, now).await?;
            insert_record(&mut tx, record).await?;
            tx.commit().await?;
            Ok(ended)
        })
        .await
    }

    /// Releases a reservation whose request used nothing, with its usage
    /// record when there is one; `false` when it was no longer held.
    pub async fn release(
        &self,
        request_id: &str,
        record: Option<&UsageRecord>,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.timed("release", async move {
            let mut tx = self.write().await?;
            let ended = end(&mut tx, request_id, Amounts::default(), RELEASED, now).await?;
            if let Some(record) = record {
                insert_record(&mut tx, record).await?;
            }
            tx.commit().await?;
            Ok(ended)
        })
        .await
    }

    /// Releases every reservation still held past its expiry (its request
    /// died with its process), and drops per-minute counters older than
    /// `keep_minutes_since` that hold nothing. Returns how many it released.
    pub async fn sweep(&self, now: i64, keep_minutes_since: i64) -> Result<usize, StoreError> {
        self.timed("sweep", async move {
        let expired: Vec<String> = sqlx::query(&format!(
            "SELECT request_id FROM reservations WHERE state = $1 AND expires_ms < $2 \
                 AND NOT {} LIMIT 500",
            LIVE_JOB
        ))
        .bind(HELD)
        .bind(now)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|row| row.get(0))
        .collect();
        let mut released = 0;
        for id in &expired {
            let mut tx = self.write().await?;
            if end(&mut tx, id, Amounts::default(), RELEASED, now).await? {
                released += 1;
                tracing::warn!(request_id = %id, "released the reservation of a request that died");
            }
            tx.commit().await?;
        }
        sqlx::query(
            "DELETE FROM quota_counters WHERE metric IN ($1, $2) AND window_start < $3 AND reserved = 0",
        )
        .bind(Metric::RequestsMinute.as_str())
        .bind(Metric::TokensMinute.as_str())
        .bind(keep_minutes_since)
        .execute(self.pool())
        .await?;
        Ok(released)
        })
        .await
    }

    /// The counters of `user` on `contract` in these windows (zeros where
    /// nothing was counted yet).
    pub async fn counters(
        &self,
        user_id: &str,
        contract_id: &str,
        minute_start: i64,
        month_start: i64,
        caps: &Caps,
    ) -> Result<Vec<Counter>, StoreError> {
        self.timed("counters", async move {
            let mut conn = self.pool().acquire().await?;
            let mut out = Vec::with_capacity(caps.len());
            for &(metric, cap) in caps {
                let window = metric.window(minute_start, month_start);
                out.push(counter(&mut conn, user_id, contract_id, metric, window, cap).await?);
            }
            Ok(out)
        })
        .await
    }

    /// A reservation in full, with its state, if it exists.
    pub async fn reservation_full(
        &self,
        request_id: &str,
    ) -> Result<Option<(String, Reservation)>, StoreError> {
        self.timed("reservation_full", async move {
        let row = sqlx::query(
            "SELECT state, user_id, contract_id, minute_start, month_start, requests, tokens, spend, \
             expires_ms FROM reservations WHERE request_id = $1",
        )
        .bind(request_id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|row| {
            (
                row.get(0),
                Reservation {
                    request_id: request_id.to_owned(),
                    user_id: row.get(1),
                    contract_id: row.get(2),
                    minute_start: row.get(3),
                    month_start: row.get(4),
                    amounts: Amounts {
                        requests: row.get(5),
                        tokens: row.get(6),
                        spend: row.get(7),
                    },
                    expires_ms: row.get(8),
                },
            )
        }))
        })
        .await
    }

    /// The state of a reservation (`held`, `settled`, `released`) and what
    /// it holds, if it exists.
    pub async fn reservation(
        &self,
        request_id: &str,
    ) -> Result<Option<(String, Amounts)>, StoreError> {
        self.timed("reservation", async move {
            let row = sqlx::query(
                "SELECT state, requests, tokens, spend FROM reservations WHERE request_id = $1",
            )
            .bind(request_id)
            .fetch_optional(self.pool())
            .await?;
            Ok(row.map(|row| {
                (
                    row.get(0),
                    Amounts {
                        requests: row.get(1),
                        tokens: row.get(2),
                        spend: row.get(3),
                    },
                )
            }))
        })
        .await
    }
}

/// Adds `amounts` to `reserved` of every counter, each under its cap.
async fn add_reserved(
    tx: &mut Transaction<'static, Any>,
    r: &Reservation,
    amounts: Amounts,
    caps: &Caps,
) -> Result<Result<Held, Shortfall>, StoreError> {
    let mut counters = Vec::with_capacity(caps.len());
    for &(metric, cap) in caps {
        let window = r.window(metric);
        let n = amounts.of(metric);
        sqlx::query(
            "INSERT INTO quota_counters (user_id, contract_id, metric, window_start, used, reserved) \
             VALUES ($1, $2, $3, $4, 0, 0) ON CONFLICT DO NOTHING",
        )
        .bind(&r.user_id)
        .bind(&r.contract_id)
        .bind(metric.as_str())
        .bind(window)
        .execute(&mut **tx)
        .await?;
        // The one conditional update: the cap is checked and the amount
        // held in the same statement, so no two requests can both fit into
        // the last of an allowance. A cap of -1 is no cap.
        let row = sqlx::query(
            "UPDATE quota_counters SET reserved = reserved + $1 \
             WHERE user_id = $2 AND contract_id = $3 AND metric = $4 AND window_start = $5 \
             AND ($6 < 0 OR used + reserved + $1 <= $6) RETURNING used, reserved",
        )
        .bind(n)
        .bind(&r.user_id)
        .bind(&r.contract_id)
        .bind(metric.as_str())
        .bind(window)
        .bind(cap.unwrap_or(-1))
        .fetch_optional(&mut **tx)
        .await?;
        match row {
            Some(row) => counters.push(Counter {
                metric,
                window_start: window,
                used: row.get(0),
                reserved: row.get(1),
                cap,
            }),
            None => {
                let counter = counter(tx, &r.user_id, &r.contract_id, metric, window, cap).await?;
                return Ok(Err(Shortfall { counter, wanted: n }));
            }
        }
    }
    Ok(Ok(Held { counters }))
}

async fn read_counters(
    tx: &mut Transaction<'static, Any>,
    r: &Reservation,
    caps: &Caps,
) -> Result<Vec<Counter>, StoreError> {
    let mut out = Vec::with_capacity(caps.len());
    for &(metric, cap) in caps {
        let window = r.window(metric);
        out.push(counter(tx, &r.user_id, &r.contract_id, metric, window, cap).await?);
    }
    Ok(out)
}

/// One counter as it stands (zeros when nothing was counted in its window).
async fn counter(
    conn: &mut sqlx::AnyConnection,
    user_id: &str,
    contract_id: &str,
    metric: Metric,
    window: i64,
    cap: Option<i64>,
) -> Result<Counter, StoreError> {
    let row = sqlx::query(
        "SELECT used, reserved FROM quota_counters \
         WHERE user_id = $1 AND contract_id = $2 AND metric = $3 AND window_start = $4",
    )
    .bind(user_id)
    .bind(contract_id)
    .bind(metric.as_str())
    .bind(window)
    .fetch_optional(conn)
    .await?;
    let (used, reserved) = row.map(|r| (r.get(0), r.get(1))).unwrap_or((0, 0));
    Ok(Counter {
        metric,
        window_start: window,
        used,
        reserved,
        cap,
    })
}

/// Commits an admission that fit, rolls back one that did not.
async fn admitted(
    tx: Transaction<'static, Any>,
    result: Result<Held, Shortfall>,
) -> Result<Result<Held, Shortfall>, StoreError> {
    match result {
        Ok(held) => {
            tx.commit().await?;
            Ok(Ok(held))
        }
        Err(short) => {
            tx.rollback().await?;
            Ok(Err(short))
        }
    }
}

/// Ends a held reservation: what it held leaves `reserved`, `used` joins
/// `used`. `false` when it was not held (already ended, or never made).
pub(super) async fn end(
    tx: &mut Transaction<'static, Any>,
    request_id: &str,
    used: Amounts,
    state: &str,
    now: i64,
) -> Result<bool, StoreError> {
    let row = sqlx::query(
        "UPDATE reservations SET state = $1, ended_ms = $2 WHERE request_id = $3 AND state = $4 \
         RETURNING user_id, contract_id, minute_start, month_start, requests, tokens, spend",
    )
    .bind(state)
    .bind(now)
    .bind(request_id)
    .bind(HELD)
    .fetch_optional(&mut **tx)
    .await?;
    let Some(row) = row else {
        return Ok(false);
    };
    let user_id: String = row.get(0);
    let contract_id: String = row.get(1);
    let (minute_start, month_start): (i64, i64) = (row.get(2), row.get(3));
    let held = Amounts {
        requests: row.get(4),
        tokens: row.get(5),
        spend: row.get(6),
    };
    for metric in Metric::ALL {
        let window = metric.window(minute_start, month_start);
        sqlx::query(
            "UPDATE quota_counters SET used = used + $1, reserved = reserved - $2 \
             WHERE user_id = $3 AND contract_id = $4 AND metric = $5 AND window_start = $6",
        )
        .bind(used.of(metric))
        .bind(held.of(metric))
        .bind(&user_id)
        .bind(&contract_id)
        .bind(metric.as_str())
        .bind(window)
        .execute(&mut **tx)
        .await?;
    }
    Ok(true)
}
