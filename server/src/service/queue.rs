//! The durable queue's service: a job is a checked, admitted run stored in
//! the database ([`Queue::submit`]); workers claim jobs with a lease, renew
//! it while they run, and complete them fenced by the attempt number, in
//! one transaction with the quota settlement and the usage record
//! ([`Queue::spawn_workers`]). A job whose worker died is claimed again
//! when its lease runs out, so no accepted job is lost, and none is
//! recorded or charged twice.

use super::limits::Pace;
use super::metrics::Metrics;
use super::quota::Quotas;
use super::record::with_execution;
use super::run::{execute, Execution, Request as RunRequest, Runner, Work};
use crate::registry::Contracts;
use crate::store::{now_ms, Claim, Job, Store, StoreError, UsageRecord};
use prompt_preflight::{Payload, Report};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;
use tracing::Instrument;

/// What a job runs: everything the route knew after the check and the
/// admission, so a worker on any instance can run it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRequest {
    /// The contract's id.
    pub contract: String,
    /// The contract's version (jobs queued before versions were kept have
    /// none, and run on the default version).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// The tier it runs on.
    pub tier: String,
    /// What to run.
    pub work: Work,
    /// The final check's report.
    pub report: Report,
    /// The messages, for a single request.
    pub payload: Option<Payload>,
    /// The plan of a run in parts, as the answer shows it.
    pub plan: Option<serde_json::Value>,
    /// The usage record so far.
    pub record: UsageRecord,
}

/// Turns a finished run into its HTTP status and body (the HTTP layer's
/// shape, passed in so this layer has no HTTP in it).
pub type Render = Arc<dyn Fn(Execution, &JobRequest) -> (u16, serde_json::Value) + Send + Sync>;

/// Where a job stands, for `GET /v1/jobs/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct JobView {
    /// The job's id.
    pub id: String,
    /// `queued`, `running`, `done` or `cancelled`.
    pub status: String,
    /// Jobs a worker takes before this one (while queued).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<i64>,
    /// When it should be done (ms from now): from the jobs ahead, the
    /// measured service time, and its provider's pace (our limits and the
    /// provider's own rate-limit hints).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eta_ms: Option<u64>,
    /// How many times a worker took it.
    pub attempts: i64,
    /// The result's status, once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_code: Option<i64>,
    /// The result (the same body `/v1/run` answers), once done.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
}

/// The queue of one server instance: its workers and how they hold jobs.
#[derive(Clone)]
pub struct Queue {
    store: Store,
    quotas: Quotas,
    /// How many jobs this instance runs at once.
    pub workers: usize,
    /// How long a claim holds a job without renewal.
    pub lease: Duration,
    id: String,
    wake: Arc<Notify>,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("id", &self.id)
            .field("workers", &self.workers)
            .finish()
    }
}

/// When a job with `ahead` jobs before it should be done (ms): the later of
/// the workers' turns (each takes `service` ms) and the provider's (the wait
/// until it takes a call, then one call per interval of its request limits
/// for each job ahead).
fn eta(ahead: f64, workers: usize, service: f64, pace: Pace) -> f64 {
    let by_workers = (ahead / workers.max(1) as f64).ceil() * service + service;
    let by_provider = pace.wait.as_millis() as f64
        + pace
            .every
            .map_or(0.0, |every| ahead * every.as_millis() as f64)
        + service;
    by_workers.max(by_provider)
}

/// The mean time a job takes when nothing was measured yet.
const DEFAULT_SERVICE: Duration = Duration::from_secs(2);

impl Queue {
    /// A queue in `store`, run by `workers` workers with leases of `lease`.
    pub fn new(store: Store, quotas: Quotas, workers: usize, lease: Duration) -> Queue {
        Queue {
            store,
            quotas,
            workers: workers.max(1),
            lease,
            id: format!("w_{}", crate::store::random_hex(6)),
            wake: Arc::new(Notify::new()),
        }
    }

    /// Stores a job for `user_id`, whose id `id` is its request's id (its
    /// reservation is already held), and wakes a worker.
    pub async fn submit(
        &self,
        id: &str,
        user_id: &str,
        request: &JobRequest,
        pace: Pace,
    ) -> Result<JobView, StoreError> {
        let body = serde_json::to_string(request).unwrap_or_default();
        let job = self
            .store
            .enqueue(id, user_id, &request.contract, &body)
            .await?;
        self.wake.notify_one();
        self.view(job, pace).await
    }

    /// Where `job` stands, with `pace` how fast its provider takes calls
    /// now (our limits and its own rate-limit hints).
    pub async fn view(&self, job: Job, pace: Pace) -> Result<JobView, StoreError> {
        let queued = job.state == crate::store::job_state::QUEUED;
        let running = job.state == crate::store::job_state::RUNNING;
        let position = if queued {
            Some(self.store.position(&job.id).await?)
        } else {
            None
        };
        let eta_ms = if queued || running {
            let (_, mean) = self.store.service_rate(now_ms() - 10 * 60_000).await?;
            let service = mean.map_or(DEFAULT_SERVICE.as_millis() as f64, |m| m.max(1.0));
            let ahead = position.unwrap_or(0) as f64;
            // The jobs ahead, shared among the workers, then this one.
            let started = job.started_ms.unwrap_or_else(now_ms);
            let left = if running {
                (service - (now_ms() - started) as f64).max(0.0)
            } else {
                eta(ahead, self.workers, service, pace)
            };
            Some(left.round() as u64)
        } else {
            None
        };
        Ok(JobView {
            id: job.id,
            status: job.state,
            position,
            eta_ms,
            attempts: job.attempt,
            status_code: job.status_code,
            result: job.result.and_then(|r| serde_json::from_str(&r).ok()),
        })
    }

    /// Starts this instance's workers, which run until the runtime stops.
    pub fn spawn_workers(
        &self,
        contracts: Arc<Contracts>,
        runner: Runner,
        metrics: Metrics,
        render: Render,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        (0..self.workers)
            .map(|n| {
                let queue = self.clone();
                let (contracts, runner, metrics, render) =
                    (contracts.clone(), runner.clone(), metrics.clone(), render.clone());
                tokio::spawn(async move {
                    let worker = format!("{}-{n}", queue.id);
                    loop {
                        match queue.store.claim(&worker, queue.lease.as_millis() as i64).await {
                            Ok(Some(claim)) => {
                                let waited = (now_ms() - claim.created_ms).max(0) as f64 / 1000.0;
                                metrics.queue_wait.observe(waited);
                                queue.run(&claim, &contracts, &runner, &metrics, &render).await;
                            }
                            Ok(None) => {
                                // Another instance may add jobs too: look
                                // again soon even without a wake-up.
                                let _ = tokio::time::timeout(
                                    Duration::from_millis(200),
                                    queue.wake.notified(),
                                )
                                .await;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "the queue could not be read; trying again");
                                tokio::time::sleep(Duration::from_secs(1)).await;
                            }
                        }
                        if let Ok((queued, _)) = queue.store.queue_depth().await {
                            metrics.queue_depth.set(queued);
                        }
                    }
                })
            })
            .collect()
    }

    /// Runs one claimed job, renewing its lease, and completes it.
    async fn run(
        &self,
        claim: &Claim,
        contracts: &Contracts,
        runner: &Runner,
        metrics: &Metrics,
        render: &Render,
    ) {
        let span = tracing::info_span!("job", job_id = %claim.id, attempt = claim.attempt);
        self.run_claimed(claim, contracts, runner, metrics, render)
            .instrument(span)
            .await
    }

    async fn run_claimed(
        &self,
        claim: &Claim,
        contracts: &Contracts,
        runner: &Runner,
        metrics: &Metrics,
        render: &Render,
    ) {
        let request: JobRequest = match serde_json::from_str(&claim.request) {
            Ok(r) => r,
            Err(e) => {
                tracing::error!(error = %e, "a stored job cannot be read");
                return;
            }
        };
        let registry = contracts.current();
        let contract = match &request.version {
            Some(version) => registry.version(&request.contract, version),
            None => registry.get(&request.contract),
        };
        let Some(contract) = contract.cloned() else {
            tracing::error!(contract = %request.contract, version = ?request.version, "a job's contract is no longer served");
            return;
        };
        let ticket = match contract.tier(Some(&request.tier)) {
            Ok((_, tier)) => self.quotas.resume(&claim.id, tier).await,
            Err(_) => Ok(None),
        };
        let ticket = match ticket {
            Ok(Some(t)) => Arc::new(t),
            Ok(None) => {
                tracing::error!("a job's reservation is no longer held; it runs without a budget");
                return;
            }
            Err(e) => {
                tracing::warn!(error = %e, "the job's reservation could not be read");
                return;
            }
        };
        // Our limits for the provider may have no room yet: wait for it,
        // keeping the lease (renewed a third of the way through, not at
        // every look).
        let mut renewed = Instant::now();
        loop {
            let wait = runner.saturation(&contract, request.report.tokens.total);
            if wait.is_zero() {
                break;
            }
            tokio::time::sleep(wait.min(self.lease / 3)).await;
            if renewed.elapsed() < self.lease / 3 {
                continue;
            }
            match self.store.renew(claim, self.lease.as_millis() as i64).await {
                Ok(true) => renewed = Instant::now(),
                Ok(false) => return,
                Err(e) => tracing::warn!(error = %e, "the lease could not be renewed"),
            }
        }
        let started = Instant::now();
        let run = execute(
            runner,
            RunRequest {
                contract: &contract,
                work: request.work.clone(),
                max_tokens: request.report.tokens.output_reserved,
                stream: false,
                events: super::events::ignore(),
                budget: Some(ticket.clone() as Arc<dyn super::budget::Budget>),
            },
        );
        tokio::pin!(run);
        let every = self.lease / 3;
        let execution = loop {
            tokio::select! {
                execution = &mut run => break Some(execution),
                _ = tokio::time::sleep(every) => {
                    match self.store.renew(claim, self.lease.as_millis() as i64).await {
                        Ok(true) => {}
                        Ok(false) => break None,
                        Err(e) => tracing::warn!(error = %e, "the lease could not be renewed"),
                    }
                }
            }
        };
        let Some(execution) = execution else {
            tracing::warn!("the lease was taken over; this worker stops");
            return;
        };
        metrics.attempts(&execution.attempts);
        let accepted = request.record.created_ms;
        let mut record = with_execution(request.record.clone(), &execution, started);
        let spent = ticket.spent();
        record.cost_micro_usd = spent.spend;
        // From acceptance to the answer: the wait in the queue included.
        record.latency_ms = (now_ms() - accepted).max(record.latency_ms);
        let (status, body) = render(execution, &request);
        let body = serde_json::to_string(&body).unwrap_or_default();
        match self
            .store
            .complete(claim, status, &body, spent, &record)
            .await
        {
            Ok(true) => metrics.record(&record),
            Ok(false) => {
                tracing::warn!("the job was completed by another worker; nothing recorded twice")
            }
            Err(e) => {
                tracing::error!(error = %e, "the job could not be completed; it runs again after its lease")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eta_is_the_later_of_the_workers_and_the_providers_turn() {
        let free = Pace::default();
        // 8 ahead, 4 workers, 1 s each: two rounds, then this one.
        assert_eq!(eta(8.0, 4, 1000.0, free), 3000.0);
        // The provider takes 60 a minute: one a second for the 8 ahead.
        let rpm = Pace {
            wait: Duration::ZERO,
            every: Some(Duration::from_secs(1)),
        };
        assert_eq!(eta(8.0, 4, 1000.0, rpm), 9000.0);
        // It asked us to wait 5 s first.
        let held = Pace {
            wait: Duration::from_secs(5),
            every: None,
        };
        assert_eq!(eta(0.0, 4, 1000.0, held), 6000.0);
    }
}
