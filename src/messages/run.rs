//! The words of a model run: what happened across its attempts, why it
//! waits, why another model took over, and what recovery did to the
//! answer. The server builds its sentences here so every user-facing word
//! lives in this catalogue.

use crate::FailureClass;

/// What a dry run's summary says.
pub const DRY_RUN: &str = "Dry run: no model was called (no provider key is configured).";

/// "was rate limited", "timed out": a class as a verb phrase.
pub fn what(class: FailureClass) -> &'static str {
    match class {
        FailureClass::RateLimited => "was rate limited",
        FailureClass::ContextTooLong => "found the input too long",
        FailureClass::OutputTruncated => "was cut off",
        FailureClass::InvalidRequest => "refused the request as invalid",
        FailureClass::AuthFailed => "refused our credentials",
        FailureClass::ProviderQuotaExhausted => "had no quota left",
        FailureClass::QuotaExceeded => "hit your plan's allowance",
        FailureClass::ContentFiltered => "was blocked by a safety filter",
        FailureClass::Timeout => "timed out",
        FailureClass::ProviderUnavailable => "was unavailable",
        _ => "failed",
    }
}

fn times(n: usize) -> String {
    match n {
        1 => "once".to_owned(),
        2 => "twice".to_owned(),
        n => format!("{n} times"),
    }
}

/// One sentence for a run's attempts, each a model and its failure
/// (`None` for the one that answered):
///
/// ```
/// use prompt_preflight::FailureClass::*;
/// use prompt_preflight::messages::run::summary;
/// let attempts = [("gpt-4o-mini", Some(Timeout)), ("gpt-4o-mini", Some(Timeout)), ("claude-haiku-4-5", None)];
/// assert_eq!(
///     summary(&attempts, Some("claude-haiku-4-5")),
///     "Answered by claude-haiku-4-5 after gpt-4o-mini timed out twice."
/// );
/// assert_eq!(
///     summary(&[("gpt-4o-mini", Some(RateLimited)), ("gpt-4o-mini", None)], Some("gpt-4o-mini")),
///     "Answered by gpt-4o-mini after it was rate limited once."
/// );
/// assert_eq!(summary(&[("gpt-4o-mini", None)], Some("gpt-4o-mini")), "Answered by gpt-4o-mini.");
/// assert_eq!(
///     summary(&[("gpt-4o-mini", Some(ProviderUnavailable)), ("claude-haiku-4-5", Some(Timeout))], None),
///     "No answer: gpt-4o-mini was unavailable once, and claude-haiku-4-5 timed out once."
/// );
/// ```
pub fn summary(attempts: &[(&str, Option<FailureClass>)], answered_by: Option<&str>) -> String {
    // Failures grouped by model and class, in order.
    let mut groups: Vec<(&str, FailureClass, usize)> = Vec::new();
    for (model, class) in attempts {
        let Some(class) = class else { continue };
        match groups.last_mut() {
            Some((m, c, n)) if m == model && c == class => *n += 1,
            _ => groups.push((model, *class, 1)),
        }
    }
    let only_the_answerer = answered_by.is_some_and(|a| groups.iter().all(|(m, _, _)| *m == a));
    let mut said_model: Option<&str> = None;
    let phrases: Vec<String> = groups
        .iter()
        .map(|(model, class, n)| {
            let who = if only_the_answerer && said_model.is_none() {
                "it".to_owned()
            } else if only_the_answerer || said_model == Some(*model) {
                String::new()
            } else {
                (*model).to_owned()
            };
            said_model = Some(model);
            let verb = format!("{} {}", what(*class), times(*n));
            if who.is_empty() {
                verb
            } else {
                format!("{who} {verb}")
            }
        })
        .collect();
    let list = match phrases.as_slice() {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{}, and {last}", rest.join(", ")),
    };
    match (answered_by, list.is_empty()) {
        (Some(model), true) => format!("Answered by {model}."),
        (Some(model), false) => format!("Answered by {model} after {list}."),
        (None, true) => "No answer: no model could be asked.".to_owned(),
        (None, false) => format!("No answer: {list}."),
    }
}

/// Why the next model of the chain takes over: "gpt-4o-mini was
/// unavailable, so claude-haiku-4-5 is answering instead."
pub fn fallback(from: &str, to: &str, class: FailureClass) -> String {
    format!("{from} {}, so {to} is answering instead.", what(class))
}

/// What the user reads while the run waits: for a rate limit the demand
/// and the expected time; for a failure, that it is tried again.
///
/// ```
/// use prompt_preflight::FailureClass;
/// use prompt_preflight::messages::run::waiting;
/// assert_eq!(
///     waiting(FailureClass::RateLimited, 2_000),
///     "We're experiencing high demand. Your request is waiting and should finish in a few seconds."
/// );
/// assert_eq!(
///     waiting(FailureClass::ProviderUnavailable, 500),
///     "The AI service is unavailable right now. Trying again in a moment."
/// );
/// ```
pub fn waiting(class: FailureClass, wait_ms: u64) -> String {
    match class {
        FailureClass::RateLimited => {
            super::failure::rate_limited(Some(wait_ms.div_ceil(1000).max(1)))
        }
        _ => format!(
            "{} Trying again {}.",
            class.entry().message,
            if wait_ms < 5_000 {
                "in a moment".to_owned()
            } else {
                format!("in {} seconds", wait_ms.div_ceil(1000))
            }
        ),
    }
}

/// Our own limit for a provider (requests or tokens per minute, calls at
/// once) makes the run wait.
pub fn our_limit(wait_ms: u64) -> String {
    super::failure::rate_limited(Some(wait_ms.div_ceil(1000).max(1)))
}

/// An answer cut off at its length limit and continued: "The answer
/// reached its length limit, so the model was asked to go on (2 more
/// calls)."
pub fn continued(calls: usize, still_cut: bool) -> String {
    let calls = match calls {
        1 => "1 more call".to_owned(),
        n => format!("{n} more calls"),
    };
    if still_cut {
        format!("The answer reached its length limit, and was still cut off after the model was asked to go on ({calls}).")
    } else {
        format!("The answer reached its length limit, so the model was asked to go on ({calls}).")
    }
}

/// A cut-off answer asked again, shorter.
pub fn asked_shorter(still_cut: bool) -> &'static str {
    if still_cut {
        "The answer reached its length limit; asked again for a shorter one, it was still cut off."
    } else {
        "The answer reached its length limit, so the model was asked again for a shorter answer."
    }
}

/// A cut-off answer returned as it is.
pub const TRUNCATED_FLAGGED: &str =
    "The answer reached its length limit and is cut off: the end is missing.";

/// What the model is told when asked to go on.
pub const CONTINUE_PROMPT: &str =
    "Your answer was cut off. Continue exactly where it stopped, without repeating anything.";

/// What the model is told when asked again for a shorter answer.
pub fn shorter_prompt(max_tokens: u64) -> String {
    let words = (max_tokens * 3 / 5).max(20);
    format!("Your answer was too long and was cut off. Answer again, completely, in at most {words} words.")
}

/// What the model is told when its answer failed the output check.
pub fn reask_prompt(reason: &str, wanted: &str) -> String {
    format!("Your answer did not have the required format: {reason}. Answer again with {wanted}, and nothing else.")
}

/// The output check failed, and how it ended.
pub fn output_failed(reason: &str, reasked: bool) -> String {
    if reasked {
        format!("The answer still did not have the expected format after the model was asked again: {reason}.")
    } else {
        format!("The answer did not have the expected format: {reason}.")
    }
}

/// The output check failed once and the re-ask fixed it.
pub const OUTPUT_FIXED: &str =
    "The first answer did not have the expected format, so the model was asked again; the second one does.";

/// A long input run as a map-reduce plan.
pub fn ran_in_parts(parts: usize) -> String {
    format!("Your input was too long for one request, so it was answered in {parts} parts and the answers were combined.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::FailureClass::*;

    #[test]
    fn summaries_name_models_only_when_they_differ() {
        assert_eq!(
            summary(
                &[("a", Some(RateLimited)), ("a", Some(Timeout)), ("a", None)],
                Some("a")
            ),
            "Answered by a after it was rate limited once, and timed out once."
        );
        assert_eq!(
            summary(
                &[("a", Some(Timeout)), ("b", Some(RateLimited)), ("b", None)],
                Some("b")
            ),
            "Answered by b after a timed out once, and b was rate limited once."
        );
        assert_eq!(
            summary(&[("a", Some(Timeout)); 3], None),
            "No answer: a timed out 3 times."
        );
    }
}
