//! How a request names a contract and, optionally, its version:
//! `customer-list`, `customer-list@1.x`, `customer-list@1.2` or
//! `customer-list@1.2.0`.

use semver::Version;
use std::fmt;

/// Which versions a request accepts.
///
/// ```
/// use prompt_preflight_server::registry::VersionReq;
/// use semver::Version;
/// let v = |s| Version::parse(s).unwrap();
/// let req = VersionReq::parse("1.x").unwrap();
/// assert!(req.matches(&v("1.4.0")) && !req.matches(&v("2.0.0")));
/// assert!(!req.matches(&v("1.5.0-rc.1")));
/// assert!(VersionReq::parse("1.2.0").unwrap().matches(&v("1.2.0")));
/// assert!(VersionReq::parse("one").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VersionReq {
    /// One version: `1.2.0` (a pre-release only this way).
    Exact(Version),
    /// Any stable version of one major: `1`, `1.x`, `1.*`.
    Major(u64),
    /// Any stable version of one minor: `1.2`, `1.2.x`.
    Minor(u64, u64),
}

impl VersionReq {
    /// Reads `1.2.0`, `1.2`, `1.2.x`, `1`, `1.x` or `1.*`; the error says
    /// what is accepted.
    pub fn parse(text: &str) -> Result<VersionReq, String> {
        let text = text.trim();
        let text = text.strip_prefix('v').unwrap_or(text);
        if let Ok(version) = Version::parse(text) {
            return Ok(VersionReq::Exact(version));
        }
        let parts: Vec<&str> = text.split('.').collect();
        let number = |s: &str| s.parse::<u64>().ok();
        let wild = |s: &str| matches!(s, "x" | "X" | "*");
        let req = match parts.as_slice() {
            [major] => number(major).map(VersionReq::Major),
            [major, w] if wild(w) => number(major).map(VersionReq::Major),
            [major, minor] => number(major)
                .zip(number(minor))
                .map(|(a, b)| VersionReq::Minor(a, b)),
            [major, minor, w] if wild(w) => number(major)
                .zip(number(minor))
                .map(|(a, b)| VersionReq::Minor(a, b)),
            _ => None,
        };
        req.ok_or_else(|| {
            format!("`{text}` is not a version: use an exact version like 1.2.0, or 1.x for the newest 1.* version")
        })
    }

    /// Whether `version` satisfies this requirement.
    pub fn matches(&self, version: &Version) -> bool {
        match self {
            VersionReq::Exact(v) => v == version,
            VersionReq::Major(major) => version.pre.is_empty() && version.major == *major,
            VersionReq::Minor(major, minor) => {
                version.pre.is_empty() && version.major == *major && version.minor == *minor
            }
        }
    }
}

impl fmt::Display for VersionReq {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VersionReq::Exact(v) => write!(f, "{v}"),
            VersionReq::Major(major) => write!(f, "{major}.x"),
            VersionReq::Minor(major, minor) => write!(f, "{major}.{minor}.x"),
        }
    }
}

/// A contract as a request names it: its id and the versions it accepts
/// (none: the caller's pin, or the default).
///
/// ```
/// use prompt_preflight_server::registry::{ContractRef, VersionReq};
/// let r = ContractRef::parse("customer-list@1.x").unwrap();
/// assert_eq!((r.id.as_str(), r.version), ("customer-list", Some(VersionReq::Major(1))));
/// assert_eq!(ContractRef::parse("customer-list").unwrap().version, None);
/// assert!(ContractRef::parse("customer-list@latest-ish").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractRef {
    /// The contract's id.
    pub id: String,
    /// The versions the request accepts, if it says.
    pub version: Option<VersionReq>,
}

impl ContractRef {
    /// Reads `id` or `id@version`.
    pub fn parse(text: &str) -> Result<ContractRef, String> {
        match text.split_once('@') {
            Some((id, version)) => Ok(ContractRef {
                id: id.trim().to_owned(),
                version: Some(VersionReq::parse(version)?),
            }),
            None => Ok(ContractRef {
                id: text.trim().to_owned(),
                version: None,
            }),
        }
    }
}
