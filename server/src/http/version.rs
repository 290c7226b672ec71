//! The version a request runs on, as HTTP says it: the handlers resolve
//! it (`service::versions`) and answer with `x-contract-version`, and for
//! a deprecated version the `Deprecation` (RFC 9745), `Sunset` (RFC 8594)
//! and `Link` headers, and a `contract` block with the warning and any
//! upgrade.

use crate::service::versions::{self, Chosen, Resolved, Upgrade};
use crate::store::Caller;
use crate::{AppError, AppState};
use axum::http::{HeaderMap, HeaderValue};
use prompt_preflight::contract::{day_number, Standing};
use serde::Serialize;

/// Resolves the version of `reference` (`id` or `id@version`) for the
/// caller, pinning a caller with a key on their first request.
pub(super) async fn resolve(
    state: &AppState,
    caller: Option<&Caller>,
    reference: &str,
) -> Result<Resolved, AppError> {
    let store = state.accounts.as_ref().map(|a| &a.store);
    let user = caller.map(|c| c.user_id.as_str());
    Ok(versions::resolve(&state.registry(), store, user, reference).await?)
}

/// The version block of a response.
#[derive(Debug, Clone, Serialize)]
pub(super) struct VersionView {
    id: String,
    version: String,
    chosen: Chosen,
    standing: Standing,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sunset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upgrade: Option<Upgrade>,
    docs: String,
}

impl VersionView {
    pub(super) fn of(resolved: &Resolved) -> VersionView {
        let c = &resolved.contract;
        VersionView {
            id: c.id.clone(),
            version: c.version.clone(),
            chosen: resolved.chosen.clone(),
            standing: resolved.standing,
            warning: resolved.warning(),
            sunset: c.release.sunset.clone(),
            upgrade: resolved.upgrade.clone(),
            docs: docs_path(&c.id, &c.version),
        }
    }
}

/// Where the generated documentation of a version is served.
pub(super) fn docs_path(id: &str, version: &str) -> String {
    format!("/docs/{id}/{version}")
}

/// Adds the version headers of `resolved` to a response.
pub(super) fn headers(headers: &mut HeaderMap, resolved: &Resolved) {
    let c = &resolved.contract;
    if let Ok(v) = HeaderValue::from_str(&c.version) {
        headers.insert("x-contract-version", v);
    }
    if resolved.standing == Standing::Deprecated {
        if let Some(day) = c.release.deprecated_day() {
            if let Ok(v) = HeaderValue::from_str(&format!("@{}", day * 86_400)) {
                headers.insert("deprecation", v);
            }
        }
        let link = format!(
            "<{}>; rel=\"deprecation\"; type=\"text/html\"",
            docs_path(&c.id, &c.version)
        );
        if let Ok(v) = HeaderValue::from_str(&link) {
            headers.append("link", v);
        }
    }
    if let Some(day) = c.release.sunset.as_deref().and_then(day_number) {
        if let Ok(v) = HeaderValue::from_str(&http_date(day)) {
            headers.insert("sunset", v);
        }
    }
}

/// Midnight UTC of a day (days since 1970-01-01) as an HTTP date:
/// `Wed, 30 Jun 2027 00:00:00 GMT`.
fn http_date(days: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (year, month, day) = prompt_preflight::contract::civil_date(days);
    format!(
        "{}, {day:02} {} {year} 00:00:00 GMT",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates_name_the_right_weekday() {
        assert_eq!(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
        let day = day_number("2027-06-30").unwrap();
        assert_eq!(http_date(day), "Wed, 30 Jun 2027 00:00:00 GMT");
        let day = day_number("2024-02-29").unwrap();
        assert_eq!(http_date(day), "Thu, 29 Feb 2024 00:00:00 GMT");
    }
}
