//! The user's own allowances, per tier of the contract: requests and
//! tokens per minute, tokens and spend per calendar month. A request is
//! admitted by reserving its worst case on every counter at once
//! ([`Quotas::admit`]); each model call beyond it must fit too
//! ([`Ticket`] is the run's [`Budget`]); the end settles what the calls
//! really used, with the usage record, once ([`Ticket::finish`]). A
//! request that dies holds nothing for long: the sweeper releases it.

mod window;

pub use window::{day_of, Windows};

use super::budget::{Budget, Cover};
use crate::chat::Usage;
use crate::classify::Classified;
use crate::store::{
    now_ms, Amounts, Caller, Caps, Counter, Metric, Reservation, Shortfall, Store, StoreError,
    UsageRecord,
};
use prompt_preflight::messages::quota::{Allowance, Reset};
use prompt_preflight::{Catalogue, Contract, Cost, FailureClass, Tier};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The quotas: the store that counts, and how long a reservation lives
/// without news from its request.
#[derive(Clone, Debug)]
pub struct Quotas {
    store: Store,
    hold: Duration,
}

/// The caps of `tier`, per counter.
pub fn caps(tier: &Tier) -> Caps {
    let cap = |v: Option<u64>| v.map(|v| v.min(i64::MAX as u64) as i64);
    [
        (Metric::RequestsMinute, cap(tier.requests_per_minute)),
        (Metric::TokensMinute, cap(tier.tokens_per_minute)),
        (Metric::TokensMonth, cap(tier.monthly_tokens)),
        (
            Metric::SpendMonth,
            tier.monthly_spend_usd.map(|usd| (usd * 1e6).round() as i64),
        ),
    ]
}

/// What `input` tokens in and `output` out cost on `model`, in
/// micro-dollars at the catalogue's prices (0 for a model it does not list).
pub fn cost_micro_usd(model: &str, input: u64, output: u64) -> i64 {
    match Catalogue::builtin().find(model) {
        Ok(m) => {
            let cost = Cost::of(m, input, output);
            ((cost.input_usd + cost.output_usd_max) * 1e6).round() as i64
        }
        Err(_) => 0,
    }
}

/// One call's worst case: one request, its tokens, its cost.
pub fn call_amounts(model: &str, (input, output): (u64, u64)) -> Amounts {
    Amounts {
        requests: 1,
        tokens: (input + output) as i64,
        spend: cost_micro_usd(model, input, output),
    }
}

fn allowance(metric: Metric) -> Allowance {
    match metric {
        Metric::RequestsMinute => Allowance::RequestsPerMinute,
        Metric::TokensMinute => Allowance::TokensPerMinute,
        Metric::SpendMonth => Allowance::MonthlySpend,
        _ => Allowance::MonthlyTokens,
    }
}

/// A request our quota refused: what was hit, in the user's words.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The counter that had no room.
    pub metric: Metric,
    /// What the user reads.
    pub message: String,
    /// What they can do.
    pub hint: String,
    /// For a per-minute allowance, when there will be room; `None` for a
    /// monthly one (retrying now cannot help).
    pub retry_after: Option<Duration>,
}

impl Refusal {
    fn of(short: &Shortfall, windows: &Windows, now: i64) -> Refusal {
        let c = &short.counter;
        let in_use = (c.used + c.reserved).max(0) as u64;
        let cap = c.cap.unwrap_or(0).max(0) as u64;
        let (reset, retry_after) = if c.metric.monthly() {
            (
                Reset::OnDay {
                    day: 1,
                    month: windows.next_month,
                },
                None,
            )
        } else {
            let ms = (windows.minute_end - now).max(1) as u64;
            (
                Reset::InSeconds(ms.div_ceil(1000)),
                Some(Duration::from_millis(ms)),
            )
        };
        let notice = allowance(c.metric).refused(short.wanted.max(0) as u64, in_use, cap, reset);
        Refusal {
            metric: c.metric,
            message: notice.message,
            hint: notice.hint,
            retry_after,
        }
    }

    /// The refusal as a failed call, for a run that stops partway.
    pub fn classified(&self) -> Classified {
        Classified {
            class: FailureClass::QuotaExceeded,
            status: None,
            provider_code: Some(format!("our_quota:{}", self.metric.as_str())),
            detail: self.message.clone(),
            retry_after: self.retry_after,
        }
    }
}

/// A user's counters as they stand, for the `x-ratelimit-*` headers and
/// the warning from 80%.
#[derive(Debug, Clone)]
pub struct Standing {
    /// Every counter of the contract's tier.
    pub counters: Vec<Counter>,
    /// Their windows.
    pub windows: Windows,
}

impl Standing {
    fn counter(&self, metric: Metric) -> Option<&Counter> {
        self.counters.iter().find(|c| c.metric == metric)
    }

    /// Requests left this minute (`None`: no cap).
    pub fn remaining_requests(&self) -> Option<i64> {
        self.counter(Metric::RequestsMinute)?.remaining()
    }

    /// Tokens left: this minute's when it is capped, else this month's.
    pub fn remaining_tokens(&self) -> Option<i64> {
        let minute = self
            .counter(Metric::TokensMinute)
            .and_then(Counter::remaining);
        minute.or_else(|| self.counter(Metric::TokensMonth)?.remaining())
    }

    /// The caps behind [`Self::remaining_requests`] and [`Self::remaining_tokens`].
    pub fn limits(&self) -> (Option<i64>, Option<i64>) {
        let requests = self.counter(Metric::RequestsMinute).and_then(|c| c.cap);
        let tokens = self
            .counter(Metric::TokensMinute)
            .and_then(|c| c.cap)
            .or_else(|| self.counter(Metric::TokensMonth).and_then(|c| c.cap));
        (requests, tokens)
    }

    /// The monthly allowances from 80% used, in words: "You've used 98% of
    /// this month's 200,000 tokens; it resets on 1 January."
    pub fn warnings(&self) -> Vec<String> {
        let reset = Reset::OnDay {
            day: 1,
            month: self.windows.next_month,
        };
        [Metric::TokensMonth, Metric::SpendMonth]
            .into_iter()
            .filter_map(|m| self.counter(m))
            .filter_map(|c| {
                let cap = c.cap?.max(0) as u64;
                let used = (c.used + c.reserved).max(0) as u64;
                Allowance::warns(used, cap).then(|| allowance(c.metric).used(used, cap, reset))
            })
            .collect()
    }
}

impl Quotas {
    /// Quotas counted in `store`; a reservation is released `hold` after
    /// its request last asked for more, if it never settled.
    pub fn new(store: Store, hold: Duration) -> Quotas {
        Quotas { store, hold }
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Admits the request `request_id` of `caller` on `contract` at
    /// `tier`, reserving `wanted` (its plan's worst case), or says which
    /// allowance has no room.
    pub async fn admit(
        &self,
        caller: &Caller,
        contract: &Contract,
        tier: &Tier,
        wanted: Amounts,
        request_id: &str,
    ) -> Result<Result<Ticket, Refusal>, StoreError> {
        let now = now_ms();
        let windows = Windows::at(now);
        let caps = caps(tier);
        let reservation = Reservation {
            request_id: request_id.to_owned(),
            user_id: caller.user_id.clone(),
            contract_id: contract.id.clone(),
            minute_start: windows.minute_start,
            month_start: windows.month_start,
            amounts: wanted,
            expires_ms: now + self.hold.as_millis() as i64,
        };
        Ok(match self.store.reserve(&reservation, &caps, now).await? {
            Ok(held) => Ok(Ticket {
                quotas: self.clone(),
                reservation,
                caps,
                windows,
                gate: tokio::sync::Mutex::new(()),
                tally: Mutex::new(Tally {
                    held: wanted,
                    ..Tally::default()
                }),
                standing: Mutex::new(Standing {
                    counters: held.counters,
                    windows,
                }),
            }),
            Err(short) => Err(Refusal::of(&short, &windows, now)),
        })
    }

    /// The ticket of a reservation made earlier (a queued job's), to run
    /// under; `None` when it is no longer held.
    pub async fn resume(
        &self,
        request_id: &str,
        tier: &Tier,
    ) -> Result<Option<Ticket>, StoreError> {
        let Some((state, reservation)) = self.store.reservation_full(request_id).await? else {
            return Ok(None);
        };
        if state != "held" {
            return Ok(None);
        }
        let windows = Windows::at(reservation.minute_start.max(reservation.month_start));
        let caps = caps(tier);
        let held = reservation.amounts;
        Ok(Some(Ticket {
            quotas: self.clone(),
            caps,
            windows,
            gate: tokio::sync::Mutex::new(()),
            tally: Mutex::new(Tally {
                held,
                ..Tally::default()
            }),
            standing: Mutex::new(Standing {
                counters: Vec::new(),
                windows,
            }),
            reservation,
        }))
    }

    /// The counters of `caller` on `contract` at `tier`, now.
    pub async fn standing(
        &self,
        caller: &Caller,
        contract: &Contract,
        tier: &Tier,
    ) -> Result<Standing, StoreError> {
        let windows = Windows::at(now_ms());
        let counters = self
            .store
            .counters(
                &caller.user_id,
                &contract.id,
                windows.minute_start,
                windows.month_start,
                &caps(tier),
            )
            .await?;
        Ok(Standing { counters, windows })
    }

    /// Releases dead requests' reservations every `every`, for as long as
    /// the runtime runs.
    pub fn spawn_sweeper(&self, every: Duration) -> tokio::task::JoinHandle<()> {
        let store = self.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                let now = now_ms();
                if let Err(e) = store.sweep(now, now - 5 * 60_000).await {
                    tracing::warn!(error = %e, "the quota sweeper failed; it tries again");
                }
            }
        })
    }
}

#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    /// What the reservation holds.
    held: Amounts,
    /// The worst case of the calls under way.
    pending: Amounts,
    /// What finished calls used.
    spent: Amounts,
}

fn add(a: Amounts, b: Amounts) -> Amounts {
    Amounts {
        requests: a.requests + b.requests,
        tokens: a.tokens + b.tokens,
        spend: a.spend + b.spend,
    }
}

fn sub(a: Amounts, b: Amounts) -> Amounts {
    Amounts {
        requests: a.requests - b.requests,
        tokens: a.tokens - b.tokens,
        spend: a.spend - b.spend,
    }
}

/// An admitted request's hold on the counters: the run's [`Budget`].
#[derive(Debug)]
pub struct Ticket {
    quotas: Quotas,
    reservation: Reservation,
    caps: Caps,
    windows: Windows,
    /// One extension at a time (parts run concurrently).
    gate: tokio::sync::Mutex<()>,
    tally: Mutex<Tally>,
    standing: Mutex<Standing>,
}

impl Ticket {
    /// The request's id.
    pub fn request_id(&self) -> &str {
        &self.reservation.request_id
    }

    /// The counters as they stood at the last admission or extension.
    pub fn standing(&self) -> Standing {
        self.standing
            .lock()
            .map(|s| s.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    /// What the finished calls used.
    pub fn spent(&self) -> Amounts {
        self.tally().spent
    }

    fn tally(&self) -> Tally {
        self.tally
            .lock()
            .map(|t| *t)
            .unwrap_or_else(|e| *e.into_inner())
    }

    fn update(&self, f: impl FnOnce(&mut Tally)) {
        let mut t = self.tally.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut t);
    }

    /// Settles what the calls used with `record` (its tokens and cost are
    /// set from the tally, so the record and the counter agree), in one
    /// transaction; a request that used nothing releases its hold.
    pub async fn finish(&self, mut record: UsageRecord) -> Result<UsageRecord, StoreError> {
        let spent = self.spent();
        record.cost_micro_usd = spent.spend;
        let now = now_ms();
        let store = &self.quotas.store;
        if spent == Amounts::default() {
            store.release(self.request_id(), Some(&record), now).await?;
        } else {
            store.settle(self.request_id(), spent, &record, now).await?;
        }
        Ok(record)
    }

    /// Gives the hold back without a record (the request never ran).
    pub async fn release(&self) -> Result<(), StoreError> {
        self.quotas
            .store
            .release(self.request_id(), None, now_ms())
            .await
            .map(|_| ())
    }
}

impl Budget for Ticket {
    fn cover<'a>(&'a self, model: &'a str, tokens: (u64, u64)) -> Cover<'a> {
        Box::pin(async move {
            let need = call_amounts(model, tokens);
            let _one_at_a_time = self.gate.lock().await;
            let t = self.tally();
            let wanted = add(add(t.spent, t.pending), need);
            let short = sub(wanted, t.held);
            let more = Amounts {
                requests: short.requests.max(0),
                tokens: short.tokens.max(0),
                spend: short.spend.max(0),
            };
            if more != Amounts::default() {
                let now = now_ms();
                let expires = now + self.quotas.hold.as_millis() as i64;
                let grown = self
                    .quotas
                    .store
                    .extend(&self.reservation, more, &self.caps, expires)
                    .await;
                match grown {
                    Ok(Ok(held)) => {
                        self.update(|t| t.held = add(t.held, more));
                        if let Ok(mut s) = self.standing.lock() {
                            s.counters = held.counters;
                        }
                    }
                    Ok(Err(short)) => {
                        return Err(Refusal::of(&short, &self.windows, now).classified())
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "the quota could not be extended");
                        let mut failed = Refusal {
                            metric: Metric::TokensMonth,
                            message: "We could not check your allowance just now.".into(),
                            hint: "Try again in a moment.".into(),
                            retry_after: Some(Duration::from_secs(1)),
                        }
                        .classified();
                        failed.class = FailureClass::ProviderUnavailable;
                        return Err(failed);
                    }
                }
            }
            self.update(|t| t.pending = add(t.pending, need));
            Ok(())
        })
    }

    fn charge(&self, model: &str, tokens: (u64, u64), used: &Usage) {
        let need = call_amounts(model, tokens);
        // A call the provider refused used nothing, and is not counted
        // against the requests either: failed calls are released.
        let consumed = used.input + used.output > 0;
        let actual = Amounts {
            requests: i64::from(consumed),
            tokens: (used.input + used.output) as i64,
            spend: cost_micro_usd(model, used.input, used.output),
        };
        self.update(|t| {
            t.pending = sub(t.pending, need);
            t.spent = add(t.spent, actual);
        });
    }
}

/// A run's budget as the service passes it on.
pub type SharedBudget = Arc<dyn Budget>;
