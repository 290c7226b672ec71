//! The usage record of a request: who asked, what it cost, what happened
//! and the input's shape, built from the report and the run. No content
//! unless the operator turned that on.

use super::quota::Ticket;
use super::run::Execution;
use crate::store::{now_ms, Caller, StoreError, UsageRecord};
use prompt_preflight::Report;
use std::sync::Arc;
use std::time::Instant;

/// The record of `report`'s request before anything ran.
pub fn base_record(
    request_id: &str,
    caller: Option<&Caller>,
    tier: &str,
    route: &str,
    report: &Report,
    content: Option<String>,
) -> UsageRecord {
    let codes = distinct_codes(&report.issues);
    UsageRecord {
        request_id: request_id.to_owned(),
        user_id: caller.map(|c| c.user_id.clone()),
        tier: tier.to_owned(),
        contract_id: report.contract.id.clone(),
        contract_version: report.contract.version.clone(),
        route: route.to_owned(),
        model: None,
        outcome: if report.ok { "checked" } else { "check_failed" }.to_owned(),
        input_kind: serde_json::to_value(report.input.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned)),
        input_bytes: report.input.bytes as i64,
        issue_codes: codes,
        content,
        created_ms: now_ms(),
        ..UsageRecord::default()
    }
}

/// Each issue's code once, in the order they first appear.
fn distinct_codes(issues: &[prompt_preflight::Issue]) -> Vec<String> {
    let mut codes: Vec<String> = Vec::new();
    for issue in issues {
        let code = issue.code.as_str();
        if !codes.iter().any(|c| c == code) {
            codes.push(code.to_owned());
        }
    }
    codes
}

/// The usage record of a `/v1/prepare` request: what was sent (`text` or
/// the file's extension, and its size), how it was prepared (`prepared`, or `prepare_refused` when
/// its plan cannot run) and the issue codes it raised. Nothing is called,
/// so it uses no tokens.
pub fn prepared_record(
    request_id: &str,
    caller: Option<&Caller>,
    contract: &prompt_preflight::Contract,
    input: &prompt_preflight::Input<'_>,
    prepared: &prompt_preflight::Prepared,
    content: Option<String>,
) -> UsageRecord {
    let (kind, bytes) = match input {
        prompt_preflight::Input::Text(text) => ("text".to_owned(), text.len()),
        prompt_preflight::Input::File { name, bytes } => (
            name.and_then(|n| n.rsplit_once('.'))
                .map_or("file".to_owned(), |(_, ext)| ext.to_ascii_lowercase()),
            bytes.len(),
        ),
    };
    UsageRecord {
        request_id: request_id.to_owned(),
        user_id: caller.map(|c| c.user_id.clone()),
        tier: prepared.tokens.tier.clone(),
        contract_id: contract.id.clone(),
        contract_version: contract.version.clone(),
        route: "prepare".to_owned(),
        outcome: if prepared.ok {
            "prepared"
        } else {
            "prepare_refused"
        }
        .to_owned(),
        input_kind: Some(kind),
        input_bytes: bytes as i64,
        issue_codes: distinct_codes(&prepared.issues),
        content,
        created_ms: now_ms(),
        ..UsageRecord::default()
    }
}

/// `record` completed with what the run did.
pub fn with_execution(
    mut record: UsageRecord,
    execution: &Execution,
    started: Instant,
) -> UsageRecord {
    let attempts = &execution.attempts;
    record.input_tokens = attempts.iter().map(|a| a.usage.input as i64).sum();
    record.output_tokens = attempts.iter().map(|a| a.usage.output as i64).sum();
    record.cached_tokens = attempts.iter().map(|a| a.usage.cached as i64).sum();
    record.counted_by_us = attempts.iter().any(|a| a.usage.counted_by_us);
    record.attempts = attempts.len() as i64;
    record.steps = attempts
        .iter()
        .map(|a| match a.class {
            Some(class) => format!("{}:{}", a.step, class.as_str()),
            None => a.step.clone(),
        })
        .collect();
    record.model = match &execution.result {
        Ok(answer) => Some(answer.model.clone()),
        Err(_) => attempts.last().map(|a| a.model.clone()),
    };
    record.output_ok = execution
        .result
        .as_ref()
        .ok()
        .and_then(|answer| answer.output.as_ref())
        .filter(|verdict| verdict.skipped.is_none())
        .map(|verdict| verdict.ok);
    record.outcome = match &execution.result {
        Ok(_) => "answered".to_owned(),
        Err(failed) => failed.user.class.as_str().to_owned(),
    };
    record.latency_ms = started.elapsed().as_millis() as i64;
    record.created_ms = now_ms();
    record
}

/// A request that was admitted: its hold on the quota and its record so
/// far. [`Metered::finish`] settles both at once.
#[derive(Debug, Clone)]
pub struct Metered {
    /// The quota's hold, and the run's budget.
    pub ticket: Arc<Ticket>,
    /// The record so far.
    pub record: UsageRecord,
    /// When the request arrived.
    pub started: Instant,
}

impl Metered {
    /// Settles the quota at what `execution` used and writes its record,
    /// in one transaction; returns the record as written.
    pub async fn finish(&self, execution: &Execution) -> Result<UsageRecord, StoreError> {
        let record = with_execution(self.record.clone(), execution, self.started);
        self.ticket.finish(record).await
    }
}
