//! The wording of a report's verdict: the one line a page shows for it.

use crate::words::{group_digits, plural};
use crate::{Code, Issue, Provider, Severity, TokenInfo, Verdict, VerdictState};

/// The verdict on `issues` (ordered most severe first) for a request of
/// `tokens`.
pub(crate) fn verdict(issues: &[Issue], tokens: &TokenInfo) -> Verdict {
    let errors = issues.iter().filter(|i| i.severity == Severity::Error);
    let size = issues.iter().find(|i| {
        matches!(i.code, Code::OverTokenLimit | Code::ContextWindowExceeded)
            && i.severity == Severity::Error
    });
    let others = errors
        .clone()
        .filter(|i| !Code::LIVE.contains(&i.code))
        .count() as u64;
    let warnings = issues
        .iter()
        .filter(|i| i.severity == Severity::Warning)
        .count() as u64;
    let and_others = || match others {
        0 => String::new(),
        n => format!(
            ", and {} to fix",
            plural(n, "other problem", "other problems")
        ),
    };
    let (state, message) = if let Some(size) = size {
        let what = if size.code == Code::ContextWindowExceeded {
            "Too long for this model"
        } else {
            "Too long for your plan"
        };
        // The model's window holds the whole request; the plan's limit is
        // on the input.
        let (count, fits) = if size.code == Code::ContextWindowExceeded {
            (tokens.total, tokens.context_window)
        } else {
            (tokens.input, tokens.limit)
        };
        let counted = if tokens.exact { "" } else { "about " };
        (
            VerdictState::OverLimit,
            format!(
                "{what}: {counted}{} tokens where {} fit{}.",
                group_digits(count),
                group_digits(fits),
                and_others()
            ),
        )
    } else if issues.iter().any(|i| i.code == Code::EmptyInput) {
        (
            VerdictState::Empty,
            "Nothing to check yet: type some text or choose a file.".to_owned(),
        )
    } else if errors.clone().next().is_some() {
        let n = errors.count() as u64;
        let problems = plural(n, "problem", "problems");
        (
            VerdictState::Fix,
            format!("{problems} to fix before sending."),
        )
    } else if warnings > 0 {
        let these = if warnings == 1 { "it" } else { "them" };
        (
            VerdictState::Warnings,
            format!(
                "Ready to send, with {}: look at {these} first.",
                plural(warnings, "warning", "warnings")
            ),
        )
    } else {
        let counted = tokens
            .counted_by
            .as_deref()
            .and_then(|id| Provider::ALL.into_iter().find(|p| p.as_str() == id))
            .map(|p| format!(" {} counted its tokens exactly.", p.title()))
            .unwrap_or_default();
        (VerdictState::Ready, format!("Ready to send.{counted}"))
    };
    Verdict { state, message }
}
