//! The server's metrics, for `GET /metrics` (the Prometheus/OpenMetrics
//! text format, by the Prometheus project's own crate): requests by route
//! and outcome, tokens and cost, provider latency, circuit breakers, the
//! issue codes users' inputs raise, the queue, and time in the database.

use super::call::Attempt;
use super::health::{BreakerState, Health};
use crate::store::UsageRecord;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOutcome {
    route: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    model: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct AttemptLabels {
    provider: String,
    model: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BreakerLabels {
    provider: String,
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DbLabels {
    op: &'static str,
}

fn db_histogram() -> Histogram {
    // 50 µs to about 1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: String,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 5 ms to about 80 s.
    Histogram::new(exponential_buckets(0.005, 2.0, 15))
}

/// Every metric, registered once; cheap to clone.
#[derive(Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    requests: Family<RouteOutcome, Counter>,
    http: Family<HttpLabels, Counter>,
    http_latency: Histograms<HttpLabels>,
    tokens: Family<TokenLabels, Counter>,
    cost: Family<ModelLabels, Counter<f64, AtomicU64>>,
    attempts: Histograms<AttemptLabels>,
    breakers: Family<BreakerLabels, Gauge>,
    codes: Family<CodeLabels, Counter>,
    db: Histograms<DbLabels>,
    /// Jobs waiting in the queue.
    pub queue_depth: Gauge,
    /// How long jobs waited before a worker took them, in seconds.
    pub queue_wait: Histogram,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    /// A fresh set of metrics.
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("preflight");
        let requests = Family::<RouteOutcome, Counter>::default();
        registry.register(
            "requests",
            "Requests recorded, by route and outcome (answered, checked, check_failed, quota_exceeded, or the failure class)",
            requests.clone(),
        );
        let http = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_responses",
            "HTTP answers by route and status",
            http.clone(),
        );
        let http_latency: Histograms<HttpLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_latency_seconds",
            "Time to the answer's headers, by route and status",
            http_latency.clone(),
        );
        let tokens = Family::<TokenLabels, Counter>::default();
        registry.register(
            "tokens",
            "Tokens used by model calls, by model and kind (input, output, cached)",
            tokens.clone(),
        );
        let cost = Family::<ModelLabels, Counter<f64, AtomicU64>>::default();
        registry.register(
            "cost_usd",
            "What model calls cost, in US dollars at the catalogue's prices",
            cost.clone(),
        );
        let attempts: Histograms<AttemptLabels> = Family::new_with_constructor(latency_histogram);
        registry.register(
            "provider_latency_seconds",
            "Latency of each model call, by provider, model and outcome (ok or the failure class)",
            attempts.clone(),
        );
        let breakers = Family::<BreakerLabels, Gauge>::default();
        registry.register(
            "circuit_breaker_state",
            "Each model's circuit breaker: 0 closed, 1 half-open (one probe at a time), 2 open (calls skipped)",
            breakers.clone(),
        );
        let codes = Family::<CodeLabels, Counter>::default();
        registry.register(
            "issue_codes",
            "Issue codes the checks raised on users' inputs",
            codes.clone(),
        );
        let queue_depth = Gauge::default();
        registry.register(
            "queue_depth",
            "Jobs waiting in the queue",
            queue_depth.clone(),
        );
        let queue_wait = Histogram::new(exponential_buckets(0.01, 2.0, 15));
        registry.register(
            "queue_wait_seconds",
            "How long jobs waited for a worker",
            queue_wait.clone(),
        );
        let db: Histograms<DbLabels> = Family::new_with_constructor(db_histogram);
        registry.register(
            "db_seconds",
            "Time in the database per store operation (e.g. reserve, claim, complete), from its first statement to its commit",
            db.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            db,
            requests,
            http,
            http_latency,
            tokens,
            cost,
            attempts,
            breakers,
            codes,
            queue_depth,
            queue_wait,
        }
    }

    /// Counts a usage record: its route and outcome, tokens, cost and
    /// issue codes.
    pub fn record(&self, r: &UsageRecord) {
        self.requests
            .get_or_create(&RouteOutcome {
                route: r.route.clone(),
                outcome: r.outcome.clone(),
            })
            .inc();
        if let Some(model) = &r.model {
            for (kind, n) in [
                ("input", r.input_tokens),
                ("output", r.output_tokens),
                ("cached", r.cached_tokens),
            ] {
                if n > 0 {
                    self.tokens
                        .get_or_create(&TokenLabels {
                            model: model.clone(),
                            kind: kind.into(),
                        })
                        .inc_by(n as u64);
                }
            }
            if r.cost_micro_usd > 0 {
                self.cost
                    .get_or_create(&ModelLabels {
                        model: model.clone(),
                    })
                    .inc_by(r.cost_micro_usd as f64 / 1e6);
            }
        }
        for code in &r.issue_codes {
            self.codes
                .get_or_create(&CodeLabels { code: code.clone() })
                .inc();
        }
    }

    /// Observes each model call's latency.
    pub fn attempts(&self, attempts: &[Attempt]) {
        for a in attempts {
            self.attempts
                .get_or_create(&AttemptLabels {
                    provider: a.provider.clone(),
                    model: a.model.clone(),
                    outcome: a.class.map_or("ok", |c| c.as_str()).to_owned(),
                })
                .observe(a.latency_ms as f64 / 1000.0);
        }
    }

    /// Counts an HTTP answer on `route` (the matched path) with `status`.
    pub fn http(&self, route: &str, status: u16, seconds: f64) {
        let labels = HttpLabels {
            route: route.to_owned(),
            status,
        };
        self.http.get_or_create(&labels).inc();
        self.http_latency.get_or_create(&labels).observe(seconds);
    }

    /// A timer for the store ([`crate::store::Store::with_timer`]) that
    /// feeds `db_seconds`.
    pub fn db_timer(&self) -> crate::store::Timer {
        let db = self.db.clone();
        Arc::new(move |op, took| {
            db.get_or_create(&DbLabels { op })
                .observe(took.as_secs_f64())
        })
    }

    /// The metrics as text, with the breakers' state as of now.
    pub fn encode(&self, health: &Health) -> String {
        for b in health.breakers() {
            let state = match b.state {
                BreakerState::Closed => 0,
                BreakerState::HalfOpen => 1,
                BreakerState::Open => 2,
            };
            self.breakers
                .get_or_create(&BreakerLabels {
                    provider: b.provider.clone(),
                    model: b.model.clone(),
                })
                .set(state);
        }
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut out, &self.registry);
        out
    }
}
