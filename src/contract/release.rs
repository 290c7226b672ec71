//! The `[release]` part of a contract: what this version says about
//! itself. Its changelog, whether it breaks callers of the version before
//! it, what those callers must change, and when it is deprecated and
//! retired (sunset).
//!
//! Whether a version *is* breaking is computed from the contracts
//! ([`super::incompatibilities`]); the flag is what the author declares,
//! and a registry refuses a version whose flag and findings disagree.

use crate::Error;
use serde::{Deserialize, Serialize};

/// What a version declares about its release.
///
/// ```
/// use prompt_preflight::Contract;
/// let c = Contract::parse(r#"
///     id = "s"
///     version = "2.0.0"
///     [model]
///     name = "gpt-4o-mini"
///     [tiers.free]
///     max_input_tokens = 2000
///     [release]
///     changes = ["The country column is required."]
///     breaking = true
///     migration = "Add a country column to your uploads."
///     deprecated = "2027-01-01"
///     sunset = "2027-06-30"
/// "#).unwrap();
/// assert!(c.release.breaking);
/// assert_eq!(c.release.sunset_day(), Some(prompt_preflight::contract::day_number("2027-06-30").unwrap()));
/// ```
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReleaseSpec {
    /// The changelog of this version: one sentence per change, in words
    /// for the people who call the prompt.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<String>,
    /// Whether this version breaks callers of the previous version. It
    /// must agree with what the registry computes, and needs a new major
    /// version and `migration`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub breaking: bool,
    /// What a caller of the previous version must change to use this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC) the version still serves, with a
    /// warning and the `Deprecation` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// From this day (`YYYY-MM-DD`, UTC) the version no longer serves: a
    /// request for it is refused with the name of its replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sunset: Option<String>,
    /// Whether the version waits for a staged rollout: it is listed and
    /// can be asked for by name, but it is nobody's default and no pin
    /// moves to it until a rollout sends users to it or promotes it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub staged: bool,
}

impl ReleaseSpec {
    /// Whether nothing is declared (the default, left out when written).
    pub fn is_default(&self) -> bool {
        self == &ReleaseSpec::default()
    }

    /// The deprecation day as days since 1970-01-01, if there is one.
    pub fn deprecated_day(&self) -> Option<i64> {
        self.deprecated.as_deref().and_then(day_number)
    }

    /// The sunset day as days since 1970-01-01, if there is one.
    pub fn sunset_day(&self) -> Option<i64> {
        self.sunset.as_deref().and_then(day_number)
    }

    /// Where this version stands on `today` (days since 1970-01-01, UTC).
    ///
    /// ```
    /// use prompt_preflight::contract::{day_number, ReleaseSpec, Standing};
    /// let release = ReleaseSpec {
    ///     deprecated: Some("2027-01-01".into()),
    ///     sunset: Some("2027-06-30".into()),
    ///     ..ReleaseSpec::default()
    /// };
    /// let day = |d| day_number(d).unwrap();
    /// assert_eq!(release.standing(day("2026-12-31")), Standing::Active);
    /// assert_eq!(release.standing(day("2027-01-01")), Standing::Deprecated);
    /// assert_eq!(release.standing(day("2027-06-30")), Standing::Sunset);
    /// ```
    pub fn standing(&self, today: i64) -> Standing {
        if self.sunset_day().is_some_and(|d| today >= d) {
            Standing::Sunset
        } else if self.deprecated_day().is_some_and(|d| today >= d) {
            Standing::Deprecated
        } else {
            Standing::Active
        }
    }

    pub(super) fn validate(&self) -> Result<(), Error> {
        for (field, date) in [("deprecated", &self.deprecated), ("sunset", &self.sunset)] {
            if let Some(date) = date {
                if day_number(date).is_none() {
                    return Err(Error::invalid_field(
                        format!("release.{field}"),
                        format!("`{date}` is not a date like 2027-06-30 (YYYY-MM-DD, UTC)"),
                    ));
                }
            }
        }
        if let (Some(deprecated), Some(sunset)) = (self.deprecated_day(), self.sunset_day()) {
            if sunset < deprecated {
                return Err(Error::invalid_field(
                    "release.sunset",
                    "must not come before `release.deprecated`",
                ));
            }
        }
        if self.breaking
            && self
                .migration
                .as_deref()
                .is_none_or(|m| m.trim().is_empty())
        {
            return Err(Error::invalid_field(
                "release.migration",
                "a breaking version must say what callers of the previous version change",
            ));
        }
        if let Some(i) = self.changes.iter().position(|c| c.trim().is_empty()) {
            return Err(Error::invalid_field(
                format!("release.changes[{i}]"),
                "must not be empty",
            ));
        }
        Ok(())
    }
}

/// Where a version stands on a given day.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Standing {
    /// Serves with no warning.
    Active,
    /// Serves, with a warning and the `Deprecation` and `Sunset` headers.
    Deprecated,
    /// Refused, naming its replacement.
    Sunset,
}

/// A `YYYY-MM-DD` date as days since 1970-01-01 (proleptic Gregorian),
/// or `None` when it is not a real date.
///
/// ```
/// use prompt_preflight::contract::day_number;
/// assert_eq!(day_number("1970-01-02"), Some(1));
/// assert_eq!(day_number("2024-02-29"), Some(19_782));
/// assert_eq!(day_number("2023-02-29"), None);
/// assert_eq!(day_number("2027-6-30"), None);
/// ```
pub fn day_number(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let digits = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = &date[range];
        part.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| part.parse().ok())
            .flatten()
    };
    let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
    if !real_day(year, month as u32, day as u32) {
        return None;
    }
    // Days from civil (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// Whether year, month and day name a real calendar day (proleptic
/// Gregorian).
pub(crate) fn real_day(year: i64, month: u32, day: u32) -> bool {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// The date of a day since 1970-01-01 (proleptic Gregorian), as
/// (year, month, day): the inverse of [`day_number`].
///
/// ```
/// use prompt_preflight::contract::{civil_date, day_number};
/// assert_eq!(civil_date(0), (1970, 1, 1));
/// assert_eq!(civil_date(day_number("2024-02-29").unwrap()), (2024, 2, 29));
/// assert_eq!(civil_date(-1), (1969, 12, 31));
/// ```
pub fn civil_date(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_numbers_round_known_dates() {
        assert_eq!(day_number("1970-01-01"), Some(0));
        assert_eq!(day_number("2000-03-01"), Some(11_017));
        assert_eq!(day_number("1900-02-29"), None);
        assert_eq!(day_number("2000-02-29"), Some(11_016));
        assert_eq!(day_number("2027-13-01"), None);
        assert_eq!(day_number("２０２７-01-01"), None);
        assert_eq!(day_number(""), None);
    }

    #[test]
    fn a_breaking_release_needs_migration_notes_and_dates_in_order() {
        let mut release = ReleaseSpec {
            breaking: true,
            ..ReleaseSpec::default()
        };
        let e = release.validate().unwrap_err().to_string();
        assert!(e.contains("release.migration"), "{e}");
        release.migration = Some("Add a column.".into());
        release.deprecated = Some("2027-06-30".into());
        release.sunset = Some("2027-01-01".into());
        let e = release.validate().unwrap_err().to_string();
        assert!(e.contains("release.sunset"), "{e}");
        release.sunset = Some("2027-02-30".into());
        let e = release.validate().unwrap_err().to_string();
        assert!(e.contains("is not a date"), "{e}");
        release.sunset = Some("2027-07-01".into());
        release.validate().unwrap();
    }
}
