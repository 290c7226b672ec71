//! Staged rollouts: a share of the eligible users goes to a candidate
//! version, the rest stays on the control, and the two are compared on
//! their usage records and feedback.
//!
//! - **Who is eligible.** A user with no pin yet, and a user pinned below
//!   the candidate in its line (a minor or patch candidate: the move they
//!   would get anyway once it is released). A major candidate never moves
//!   a pinned user: that stays their choice.
//! - **Who goes.** A user is in the candidate group when their bucket
//!   (SHA-256 of user and contract, 0 to 9,999, stored with the pin) is
//!   below the share in basis points. The same user always lands in the
//!   same group, on every instance; raising the share only adds users.
//! - **Held versions.** While a rollout runs (and after it is rolled
//!   back), its candidate is nobody's default and no automatic move's
//!   target; so is a version marked `staged` until a rollout promotes it.
//! - **Ending.** Promoting releases the candidate to everyone. Rolling
//!   back returns the candidate group to the version each came from. The
//!   guard rolls back by itself when the candidate fails significantly
//!   more often than the control.

pub mod stats;

use super::error::{RolloutError, ServiceError};
use crate::registry::{same_line, today, Family, Registry};
use crate::store::{now_ms, random_hex, Rollout, RolloutState, Store, StoreError, Tally};
use prompt_preflight::contract::Standing;
use prompt_preflight::FailureClass;
use semver::Version;
use serde::Serialize;
use stats::{p_words, percent, two_proportion, Proportion, ZTest};
use std::collections::{BTreeMap, BTreeSet};

/// What a rollout must see before the guard may act: this many requests
/// in each group.
pub const GUARD_MIN_REQUESTS: u64 = 50;

/// The guard's one-sided significance level: it rolls back when the
/// candidate's failure rate is higher with `p` below this.
pub const GUARD_ALPHA: f64 = 0.01;

/// The rollouts of one contract as they bear on choosing a version.
#[derive(Debug, Clone, Default)]
pub struct Holds {
    /// Versions that are nobody's default and no automatic move's target.
    pub held: BTreeSet<Version>,
    /// The rollout running now, if any.
    pub running: Option<Rollout>,
}

impl Holds {
    /// The family defaults and automatic moves choose from, keeping
    /// `own` (the caller's version) even when it is held.
    pub fn open(&self, family: &Family, own: Option<&Version>) -> Family {
        let mut held = self.held.clone();
        if let Some(own) = own {
            held.remove(own);
        }
        family.without(&held)
    }

    /// Whether a user in `bucket`, on `pinned` (or unpinned), goes to the
    /// running rollout's candidate; `None` when there is none or the user
    /// is not eligible.
    pub fn assigns(&self, bucket: i64, pinned: Option<&Version>) -> Option<&Rollout> {
        let rollout = self.running.as_ref()?;
        let candidate = Version::parse(&rollout.candidate).ok()?;
        let eligible = match pinned {
            None => true,
            Some(v) => *v < candidate && same_line(v, &candidate),
        };
        (eligible && bucket < rollout.percent_bp).then_some(rollout)
    }
}

/// The holds on `family` now: its rollouts and its `staged` versions.
pub async fn holds(store: &Store, family: &Family) -> Result<Holds, ServiceError> {
    let id = &family.newest().id;
    let rollouts = store.rollouts(Some(id)).await.map_err(storage)?;
    let mut holds = Holds::default();
    // Newest first: the latest rollout of a version decides.
    let mut decided = BTreeSet::new();
    for rollout in &rollouts {
        let Ok(v) = Version::parse(&rollout.candidate) else {
            continue;
        };
        if rollout.state == RolloutState::Running && holds.running.is_none() {
            holds.running = Some(rollout.clone());
        }
        if decided.insert(v.clone()) && rollout.state != RolloutState::Promoted {
            holds.held.insert(v);
        }
    }
    for (v, c) in family.versions() {
        if c.release.staged && !decided.contains(v) {
            holds.held.insert(v.clone());
        }
    }
    Ok(holds)
}

/// [`holds`], or none without a database.
pub async fn holds_in(store: Option<&Store>, family: &Family) -> Result<Holds, ServiceError> {
    match store {
        Some(store) => holds(store, family).await,
        None => Ok(Holds::default()),
    }
}

fn storage(e: StoreError) -> ServiceError {
    ServiceError::Storage(e.to_string())
}

/// A share in percent (`10`, `12.5`) as basis points; refused outside
/// (0, 100].
pub fn basis_points(percent: f64) -> Result<i64, RolloutError> {
    if !percent.is_finite() || percent <= 0.0 || percent > 100.0 {
        return Err(RolloutError::Invalid(format!(
            "the share must be more than 0 and at most 100 percent, not {percent}"
        )));
    }
    Ok((percent * 100.0).round() as i64)
}

/// Starts rolling `candidate` of `contract` out to `percent` of the
/// eligible users, compared with the version the others get now.
pub async fn start(
    registry: &Registry,
    store: &Store,
    contract: &str,
    candidate: &str,
    percent: f64,
    guard: bool,
) -> Result<Rollout, ServiceError> {
    let family = registry
        .family(contract)
        .ok_or_else(|| ServiceError::UnknownContract(contract.to_owned()))?;
    let invalid = |words: String| ServiceError::Rollout(RolloutError::Invalid(words));
    let version = Version::parse(candidate).map_err(|_| {
        invalid(format!(
            "`{candidate}` is not an exact version such as 1.2.0"
        ))
    })?;
    let chosen = family.get(&version).ok_or_else(|| {
        invalid(format!(
            "{contract} has no version {candidate}; it has {}",
            family.listing()
        ))
    })?;
    if chosen.release.standing(today()) != Standing::Active {
        return Err(invalid(format!(
            "{contract} {candidate} is deprecated or retired: roll out a version that is current"
        )));
    }
    let bp = basis_points(percent)?;
    let mut holds = holds(store, family).await?;
    holds.held.insert(version.clone());
    let open = holds.open(family, None);
    let control = open
        .default_on(today())
        .filter(|c| c.version != chosen.version)
        .ok_or_else(|| {
            invalid(format!(
                "{contract} has no other version to compare {candidate} with"
            ))
        })?;
    if Version::parse(&control.version).is_ok_and(|c| c > version) {
        return Err(invalid(format!(
            "{contract} {candidate} is older than {}, the version users get now",
            control.version
        )));
    }
    let now = now_ms();
    let rollout = Rollout {
        id: format!("ro_{}", random_hex(12)),
        contract_id: contract.to_owned(),
        control: control.version.clone(),
        candidate: chosen.version.clone(),
        percent_bp: bp,
        state: RolloutState::Running,
        guard,
        reason: None,
        created_ms: now,
        updated_ms: now,
        ended_ms: None,
    };
    store.create_rollout(&rollout).await.map_err(|e| match e {
        StoreError::Conflict(words) => ServiceError::Rollout(RolloutError::Conflict(words)),
        e => storage(e),
    })?;
    tracing::info!(rollout = %rollout.id, contract, candidate, control = %rollout.control, percent, "rollout started");
    Ok(rollout)
}

/// The rollout `id`.
pub async fn get(store: &Store, id: &str) -> Result<Rollout, ServiceError> {
    store
        .rollout(id)
        .await
        .map_err(storage)?
        .ok_or_else(|| RolloutError::Unknown(id.to_owned()).into())
}

fn not_running(rollout: &Rollout) -> ServiceError {
    RolloutError::Conflict(format!(
        "the rollout {} has ended ({}), so it can no longer change",
        rollout.id,
        rollout.state.as_str().replace('_', " ")
    ))
    .into()
}

/// Raises the share of a running rollout (never lowers it: a user in the
/// candidate group stays there until it is promoted or rolled back).
pub async fn raise(store: &Store, id: &str, percent: f64) -> Result<Rollout, ServiceError> {
    let rollout = get(store, id).await?;
    if rollout.state != RolloutState::Running {
        return Err(not_running(&rollout));
    }
    let bp = basis_points(percent)?;
    if bp < rollout.percent_bp {
        return Err(RolloutError::Invalid(format!(
            "the share can only go up (it is {}%): users already on {} stay on it; roll back to return them",
            rollout.percent_bp as f64 / 100.0,
            rollout.candidate
        ))
        .into());
    }
    if !store.raise_rollout(id, bp).await.map_err(storage)? {
        return Err(not_running(&get(store, id).await?));
    }
    get(store, id).await
}

/// Ends a running rollout: `Promoted` releases the candidate to everyone,
/// `RolledBack` returns its users to their previous versions. Returns the
/// rollout as it ended and how many pins moved back.
pub async fn end(
    store: &Store,
    id: &str,
    state: RolloutState,
    reason: &str,
) -> Result<(Rollout, u64), ServiceError> {
    let rollout = get(store, id).await?;
    if rollout.state != RolloutState::Running {
        return Err(not_running(&rollout));
    }
    let moved = store
        .end_rollout(&rollout, state, reason)
        .await
        .map_err(storage)?
        .ok_or_else(|| not_running(&rollout))?;
    tracing::warn!(rollout = %rollout.id, state = state.as_str(), reason, moved, "rollout ended");
    Ok((get(store, id).await?, moved))
}

/// One group's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Arm {
    /// Its version.
    pub version: String,
    /// Users the rollout pinned to it.
    pub users: i64,
    /// Keyed requests recorded on it during the rollout.
    pub requests: u64,
    /// Requests refused by the check (input not valid for the contract).
    pub validation_failure: Proportion,
    /// Requests that called a model and did not get an answer.
    pub provider_failure: Proportion,
    /// Those failures by class (`rate_limited`, `timeout`, …).
    pub failure_classes: BTreeMap<String, u64>,
    /// Answers checked against the contract's output, and how many passed.
    pub output_pass: Proportion,
    /// Requests that failed in any of those ways: the guard's measure.
    pub failure: Proportion,
    /// Ratings that were thumbs down.
    pub feedback_down: Proportion,
    /// Mean input tokens per answered request.
    pub input_tokens_mean: f64,
    /// Mean output tokens per answered request.
    pub output_tokens_mean: f64,
    /// Mean cost per answered request, in dollars.
    pub cost_usd_mean: f64,
    /// Mean latency of answered requests.
    pub latency_ms_mean: f64,
}

/// One metric compared between the groups.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The metric (`validation_failure`, `provider_failure`,
    /// `output_pass`, `feedback_down`, `failure`).
    pub metric: &'static str,
    /// Whether higher is better for it.
    pub higher_is_better: bool,
    /// The test, when both groups are large enough.
    pub test: Option<ZTest>,
    /// Whether the difference is significant at 5% (two-sided).
    pub significant: bool,
    /// `candidate` or `control` when one is significantly better.
    pub better: Option<&'static str>,
    /// The finding in words.
    pub statement: String,
}

/// A rollout compared: both groups and what differs between them.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// The rollout.
    pub rollout: Rollout,
    /// Its share in percent.
    pub percent: f64,
    /// The control group.
    pub control: Arm,
    /// The candidate group.
    pub candidate: Arm,
    /// Each metric compared.
    pub findings: Vec<Finding>,
    /// The whole comparison in one or two sentences.
    pub summary: String,
    /// What the guard does, and whether it would act now.
    pub guard: GuardView,
}

/// The guard's rule and state.
#[derive(Debug, Clone, Serialize)]
pub struct GuardView {
    /// Whether it watches this rollout.
    pub enabled: bool,
    /// Its rule, in words.
    pub rule: String,
    /// Whether the figures now meet it (a running guarded rollout is
    /// rolled back at its next round).
    pub tripped: bool,
}

fn arm(version: &str, users: i64, tallies: &[Tally], ratings: crate::store::Ratings) -> Arm {
    let mine = tallies.iter().filter(|t| t.version == version);
    let (mut requests, mut refused, mut called, mut answered) = (0u64, 0u64, 0u64, 0u64);
    let (mut checked, mut passed) = (0u64, 0u64);
    let mut classes = BTreeMap::new();
    let (mut input, mut output, mut cost, mut latency) = (0i64, 0i64, 0i64, 0i64);
    for t in mine {
        let n = t.count.max(0) as u64;
        requests += n;
        match t.outcome.as_str() {
            "check_failed" | "prepare_refused" => refused += n,
            "answered" => {
                called += n;
                answered += n;
                input += t.input_tokens;
                output += t.output_tokens;
                cost += t.cost_micro_usd;
                latency += t.latency_ms;
            }
            class => {
                let provider = FailureClass::ALL
                    .iter()
                    .any(|c| c.as_str() == class && *c != FailureClass::QuotaExceeded);
                if provider {
                    called += n;
                    *classes.entry(class.to_owned()).or_insert(0) += n;
                }
            }
        }
        if let Some(ok) = t.output_ok {
            checked += n;
            if ok {
                passed += n;
            }
        }
    }
    let mean = |sum: i64| {
        if answered == 0 {
            0.0
        } else {
            sum as f64 / answered as f64
        }
    };
    let provider_failures = called - answered;
    let output_failures = checked - passed;
    Arm {
        version: version.to_owned(),
        users,
        requests,
        validation_failure: Proportion::new(refused, requests),
        provider_failure: Proportion::new(provider_failures, called),
        failure_classes: classes,
        output_pass: Proportion::new(passed, checked),
        failure: Proportion::new(refused + provider_failures + output_failures, requests),
        feedback_down: Proportion::new(ratings.down as u64, (ratings.up + ratings.down) as u64),
        input_tokens_mean: mean(input),
        output_tokens_mean: mean(output),
        cost_usd_mean: mean(cost) / 1e6,
        latency_ms_mean: mean(latency),
    }
}

fn finding(
    metric: &'static str,
    words: &str,
    higher_is_better: bool,
    control: Proportion,
    candidate: Proportion,
) -> Finding {
    let test = two_proportion(control, candidate);
    let (significant, better, statement) = match test {
        None => (
            false,
            None,
            format!(
                "{words}: too few requests to tell yet ({} on the control, {} on the candidate; each needs at least {}).",
                control.of,
                candidate.of,
                stats::MIN_PER_GROUP
            ),
        ),
        Some(t) if t.p_value < 0.05 => {
            let candidate_higher = t.z > 0.0;
            let better = if candidate_higher == higher_is_better {
                "candidate"
            } else {
                "control"
            };
            (
                true,
                Some(better),
                format!(
                    "{words}: the candidate is significantly {} ({} against {}, {}); the {better} does better.",
                    if candidate_higher { "higher" } else { "lower" },
                    percent(candidate.rate),
                    percent(control.rate),
                    p_words(t.p_value)
                ),
            )
        }
        Some(t) => (
            false,
            None,
            format!(
                "{words}: no significant difference ({} on the candidate against {} on the control, {}).",
                percent(candidate.rate),
                percent(control.rate),
                p_words(t.p_value)
            ),
        ),
    };
    Finding {
        metric,
        higher_is_better,
        test,
        significant,
        better,
        statement,
    }
}

/// Whether `comparison`'s figures meet the guard's rule: enough requests
/// in both groups, and the candidate's failure rate higher with a
/// one-sided p below [`GUARD_ALPHA`].
fn guard_trips(control: &Arm, candidate: &Arm) -> bool {
    control.requests >= GUARD_MIN_REQUESTS
        && candidate.requests >= GUARD_MIN_REQUESTS
        && two_proportion(control.failure, candidate.failure)
            .is_some_and(|t| t.z > 0.0 && t.p_higher < GUARD_ALPHA)
}

/// Compares the rollout's groups over the rollout's time so far.
pub async fn compare(store: &Store, rollout: Rollout) -> Result<Comparison, ServiceError> {
    let (from, to) = (rollout.created_ms, rollout.ended_ms.unwrap_or(i64::MAX));
    let versions = [rollout.control.as_str(), rollout.candidate.as_str()];
    let tallies = store
        .tallies(&rollout.contract_id, versions, from, to)
        .await
        .map_err(storage)?;
    let pins = store.rollout_pins(&rollout.id).await.map_err(storage)?;
    let users = |v: &str| pins.iter().find(|(p, _)| p == v).map_or(0, |(_, n)| *n);
    let mut arms = Vec::new();
    for v in versions {
        let ratings = store
            .ratings(&rollout.contract_id, v, from, to)
            .await
            .map_err(storage)?;
        arms.push(arm(v, users(v), &tallies, ratings));
    }
    let candidate = arms.pop().expect("two arms");
    let control = arms.pop().expect("two arms");
    let findings = vec![
        finding(
            "failure",
            "Failures of any kind",
            false,
            control.failure,
            candidate.failure,
        ),
        finding(
            "validation_failure",
            "Inputs refused by the check",
            false,
            control.validation_failure,
            candidate.validation_failure,
        ),
        finding(
            "provider_failure",
            "Model calls that failed",
            false,
            control.provider_failure,
            candidate.provider_failure,
        ),
        finding(
            "output_pass",
            "Answers that passed the output check",
            true,
            control.output_pass,
            candidate.output_pass,
        ),
        finding(
            "feedback_down",
            "Thumbs down",
            false,
            control.feedback_down,
            candidate.feedback_down,
        ),
    ];
    let worse: Vec<&str> = findings
        .iter()
        .filter(|f| f.better == Some("control"))
        .map(|f| f.metric)
        .collect();
    let better: Vec<&str> = findings
        .iter()
        .filter(|f| f.better == Some("candidate"))
        .map(|f| f.metric)
        .collect();
    let summary = match (worse.is_empty(), better.is_empty()) {
        _ if control.requests < stats::MIN_PER_GROUP
            || candidate.requests < stats::MIN_PER_GROUP =>
        {
            format!(
                "Too early to judge: {} requests on {} and {} on {} so far.",
                control.requests, control.version, candidate.requests, candidate.version
            )
        }
        (true, true) => format!(
            "No significant difference between {} and {} on {} and {} requests.",
            candidate.version, control.version, candidate.requests, control.requests
        ),
        (false, _) => format!(
            "{} does significantly worse than {} on: {}.",
            candidate.version,
            control.version,
            worse.join(", ").replace('_', " ")
        ),
        (true, false) => format!(
            "{} does significantly better than {} on: {}, and no worse on anything measured.",
            candidate.version,
            control.version,
            better.join(", ").replace('_', " ")
        ),
    };
    let tripped = guard_trips(&control, &candidate);
    Ok(Comparison {
        percent: rollout.percent_bp as f64 / 100.0,
        guard: GuardView {
            enabled: rollout.guard,
            rule: format!(
                "Roll back when, with at least {GUARD_MIN_REQUESTS} requests in each group, the candidate's failure rate is higher than the control's with a one-sided p below {GUARD_ALPHA}."
            ),
            tripped,
        },
        rollout,
        control,
        candidate,
        findings,
        summary,
    })
}

/// One round of the guard: every running guarded rollout whose candidate
/// fails significantly more often is rolled back. Returns the ids rolled
/// back.
pub async fn guard_round(store: &Store) -> Result<Vec<String>, ServiceError> {
    let mut rolled_back = Vec::new();
    for rollout in store.rollouts(None).await.map_err(storage)? {
        if rollout.state != RolloutState::Running || !rollout.guard {
            continue;
        }
        let id = rollout.id.clone();
        let comparison = compare(store, rollout).await?;
        if comparison.guard.tripped {
            let (c, k) = (&comparison.control.failure, &comparison.candidate.failure);
            let reason = format!(
                "The guard rolled it back: {} failed {} of requests against {} on {}.",
                comparison.candidate.version,
                percent(k.rate),
                percent(c.rate),
                comparison.control.version
            );
            match end(store, &id, RolloutState::RolledBack, &reason).await {
                Ok(_) => rolled_back.push(id),
                // Someone ended it meanwhile.
                Err(ServiceError::Rollout(RolloutError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
        }
    }
    Ok(rolled_back)
}

/// Runs [`guard_round`] every `every` until the process ends.
pub fn spawn_guard(store: Store, every: std::time::Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = guard_round(&store).await {
                tracing::error!(error = %e, "the rollout guard could not run");
            }
        }
    })
}
