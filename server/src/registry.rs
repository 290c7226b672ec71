//! The contracts a server knows: every version of each, loaded from a
//! folder (`contracts/<id>/<semver>.toml`) or built in, and checked as a
//! family. A version whose inputs or output break callers of the version
//! before it must say so (`[release] breaking = true`) and start a new
//! major version; the registry computes the breaks
//! ([`prompt_preflight::contract::incompatibilities`]) rather than trust
//! the flag.
//!
//! [`Contracts`] holds the registry a running server uses and swaps in a
//! new one on reload; an invalid folder leaves the running versions alone.

mod live;
mod reference;

pub use live::{Contracts, Reloaded};
pub use reference::{ContractRef, VersionReq};

use prompt_preflight::contract::{incompatibilities, Incompatibility, Standing};
use prompt_preflight::Contract;
use semver::Version;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The example contracts shipped in the repository (their path under
/// `contracts/` and their text), built in so that the server runs with no
/// files at all.
pub const BUILTIN_CONTRACTS: [(&str, &str); 5] = [
    (
        "customer-list/1.0.0.toml",
        include_str!("../../contracts/customer-list/1.0.0.toml"),
    ),
    (
        "customer-list/1.1.0.toml",
        include_str!("../../contracts/customer-list/1.1.0.toml"),
    ),
    (
        "customer-list/2.0.0.toml",
        include_str!("../../contracts/customer-list/2.0.0.toml"),
    ),
    (
        "summarise-document/1.0.0.toml",
        include_str!("../../contracts/summarise-document/1.0.0.toml"),
    ),
    (
        "summarise-document/2.0.0.toml",
        include_str!("../../contracts/summarise-document/2.0.0.toml"),
    ),
];

/// Why contracts could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegistryError {
    /// A contract file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A contract file is not a valid contract.
    #[error("{path}: {source}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        source: prompt_preflight::Error,
    },
    /// A contract's `output.schema` is not a JSON Schema the server can
    /// check answers with.
    #[error("the contract `{id}`: {reason}")]
    OutputSchema {
        /// The contract id.
        id: String,
        /// What is wrong, in words.
        reason: String,
    },
    /// Two files declare the same version of a contract.
    #[error("{id} {version} is declared by more than one file")]
    Duplicate {
        /// The contract id.
        id: String,
        /// The version.
        version: String,
    },
    /// A file under `contracts/<id>/` declares another id or version than
    /// its path says.
    #[error("{path} declares {id} {version}; put it in {expected}")]
    Misplaced {
        /// The file.
        path: PathBuf,
        /// The id it declares.
        id: String,
        /// The version it declares.
        version: String,
        /// Where it belongs.
        expected: String,
    },
    /// A version breaks callers of the version before it without saying
    /// so (`[release] breaking = true`, with a new major version).
    #[error("{id} {version} breaks callers of {previous} but is not marked breaking: {}. Mark it `[release] breaking = true` with `migration` notes, as a new major version", list(.findings))]
    UnmarkedBreaking {
        /// The contract id.
        id: String,
        /// The breaking version.
        version: String,
        /// The version it breaks.
        previous: String,
        /// What it breaks, computed.
        findings: Vec<Incompatibility>,
    },
    /// A breaking version keeps the major version of the one it breaks, so
    /// pinned callers would be moved onto it automatically.
    #[error("{id} {version} is breaking, so it needs a new major version (callers of {previous} are moved to new minor and patch versions automatically){}", if .findings.is_empty() { String::new() } else { format!(": {}", list(.findings)) })]
    BreakingNeedsMajor {
        /// The contract id.
        id: String,
        /// The breaking version.
        version: String,
        /// The version it breaks.
        previous: String,
        /// What it breaks, computed (empty when only the flag says so).
        findings: Vec<Incompatibility>,
    },
}

fn list(findings: &[Incompatibility]) -> String {
    findings
        .iter()
        .map(|f| f.message.trim_end_matches('.').to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether callers of `a` may be moved to `b` without asking: the same
/// major version (for 0.x, the same minor), as Cargo reads semver.
///
/// ```
/// use prompt_preflight_server::registry::same_line;
/// use semver::Version;
/// let v = |s| Version::parse(s).unwrap();
/// assert!(same_line(&v("1.0.0"), &v("1.4.2")));
/// assert!(!same_line(&v("1.9.0"), &v("2.0.0")));
/// assert!(!same_line(&v("0.1.0"), &v("0.2.0")));
/// ```
pub fn same_line(a: &Version, b: &Version) -> bool {
    a.major == b.major && (a.major > 0 || a.minor == b.minor)
}

/// Every version of one contract.
#[derive(Debug, Default, Clone)]
pub struct Family {
    versions: BTreeMap<Version, Arc<Contract>>,
}

impl Family {
    /// Every version, oldest first.
    pub fn versions(&self) -> impl DoubleEndedIterator<Item = (&Version, &Arc<Contract>)> {
        self.versions.iter()
    }

    /// This exact version.
    pub fn get(&self, version: &Version) -> Option<&Arc<Contract>> {
        self.versions.get(version)
    }

    /// The family without the versions in `held`: what defaults and
    /// automatic moves choose from while a version is staged or rolling
    /// out. All of it when that would leave nothing.
    pub fn without(&self, held: &std::collections::BTreeSet<Version>) -> Family {
        let versions: BTreeMap<Version, Arc<Contract>> = self
            .versions
            .iter()
            .filter(|(v, _)| !held.contains(*v))
            .map(|(v, c)| (v.clone(), c.clone()))
            .collect();
        if versions.is_empty() {
            self.clone()
        } else {
            Family { versions }
        }
    }

    /// The newest version of any kind.
    pub fn newest(&self) -> &Arc<Contract> {
        self.versions
            .values()
            .next_back()
            .expect("a family has a version")
    }

    /// The version a new caller is pinned to on `today`: the newest stable
    /// (no pre-release tag) that is not deprecated; else the newest stable
    /// that still serves; else the newest that still serves.
    pub fn default_on(&self, today: i64) -> Option<&Arc<Contract>> {
        let serving = |c: &&Arc<Contract>| c.release.standing(today) != Standing::Sunset;
        let stable = |(v, _): &(&Version, &Arc<Contract>)| v.pre.is_empty();
        let newest = |standing: Option<Standing>, stable_only: bool| {
            self.versions
                .iter()
                .rev()
                .filter(|entry| !stable_only || stable(entry))
                .map(|(_, c)| c)
                .find(|c| match standing {
                    Some(s) => c.release.standing(today) == s,
                    None => serving(c),
                })
        };
        newest(Some(Standing::Active), true)
            .or_else(|| newest(None, true))
            .or_else(|| newest(None, false))
    }

    /// The newest stable version a caller of `version` may be moved to
    /// automatically on `today`: same major, not older, still serving.
    pub fn newest_in_line(&self, version: &Version, today: i64) -> Option<&Arc<Contract>> {
        self.versions
            .range(version..)
            .rev()
            .filter(|(v, _)| same_line(version, v) && (v.pre.is_empty() || *v == version))
            .map(|(_, c)| c)
            .find(|c| c.release.standing(today) != Standing::Sunset)
    }

    /// The newest version that satisfies `req` (pre-releases only when it
    /// names one exactly).
    pub fn matching(&self, req: &VersionReq) -> Option<&Arc<Contract>> {
        self.versions
            .iter()
            .rev()
            .find(|(v, _)| req.matches(v))
            .map(|(_, c)| c)
    }

    /// The versions as `1.0.0, 1.1.0, 2.0.0`, for messages.
    pub fn listing(&self) -> String {
        self.versions
            .keys()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Checks each version against the stable version before it.
    fn validate(&self) -> Result<(), RegistryError> {
        let mut previous: Option<(&Version, &Arc<Contract>)> = None;
        for (version, contract) in &self.versions {
            if let Some((before, old)) = previous {
                let findings = incompatibilities(old, contract);
                let (id, version_s, previous_s) =
                    (contract.id.clone(), version.to_string(), before.to_string());
                if !findings.is_empty() && !contract.release.breaking {
                    return Err(RegistryError::UnmarkedBreaking {
                        id,
                        version: version_s,
                        previous: previous_s,
                        findings,
                    });
                }
                if contract.release.breaking && same_line(before, version) {
                    return Err(RegistryError::BreakingNeedsMajor {
                        id,
                        version: version_s,
                        previous: previous_s,
                        findings,
                    });
                }
            }
            if version.pre.is_empty() {
                previous = Some((version, contract));
            }
        }
        Ok(())
    }
}

/// Contracts by id, each with every version.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    families: BTreeMap<String, Family>,
}

impl Registry {
    /// The built-in example contracts only.
    pub fn builtin() -> Self {
        let mut registry = Registry::default();
        for (_, source) in BUILTIN_CONTRACTS {
            let contract = Contract::parse(source).expect("the built-in contracts are valid");
            registry
                .insert(contract)
                .expect("the built-in contracts are valid");
        }
        registry
    }

    /// Every contract in a directory: `<dir>/<id>/<version>.toml` (or
    /// `.json`), and contract files directly in `<dir>`.
    pub fn load_dir(dir: &Path) -> Result<Self, RegistryError> {
        let mut registry = Registry::default();
        for (path, expected_id) in contract_files(dir)? {
            let source = std::fs::read_to_string(&path).map_err(io(&path))?;
            let contract = Contract::parse(&source).map_err(|source| RegistryError::Invalid {
                path: path.clone(),
                source,
            })?;
            if let Some(expected_id) = expected_id {
                let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
                if contract.id != expected_id || contract.version != stem {
                    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("toml");
                    return Err(RegistryError::Misplaced {
                        expected: dir
                            .join(&contract.id)
                            .join(format!("{}.{ext}", contract.version))
                            .display()
                            .to_string(),
                        path,
                        id: contract.id,
                        version: contract.version,
                    });
                }
            }
            registry.add(contract)?;
        }
        for family in registry.families.values() {
            family.validate()?;
        }
        Ok(registry)
    }

    /// Adds a version. It must be new, its output schema (if it has one)
    /// must compile, and its family must stay valid (breaking changes
    /// marked, in a new major version); otherwise the registry is left as
    /// it was.
    pub fn insert(&mut self, contract: Contract) -> Result<(), RegistryError> {
        let (id, version) = (contract.id.clone(), version_of(&contract));
        self.add(contract)?;
        if let Err(e) = self.families[&id].validate() {
            let family = self.families.get_mut(&id).expect("just added");
            family.versions.remove(&version);
            if family.versions.is_empty() {
                self.families.remove(&id);
            }
            return Err(e);
        }
        Ok(())
    }

    fn add(&mut self, contract: Contract) -> Result<(), RegistryError> {
        let version = version_of(&contract);
        let family = self.families.entry(contract.id.clone()).or_default();
        if family.versions.contains_key(&version) {
            return Err(RegistryError::Duplicate {
                id: contract.id,
                version: contract.version,
            });
        }
        if let Some(output) = &contract.output {
            crate::service::output::OutputCheck::new(output).map_err(|reason| {
                RegistryError::OutputSchema {
                    id: contract.id.clone(),
                    reason,
                }
            })?;
        }
        family.versions.insert(version, Arc::new(contract));
        Ok(())
    }

    /// The version of contract `id` that a caller with no pin gets today
    /// (see [`Family::default_on`]).
    pub fn get(&self, id: &str) -> Option<&Arc<Contract>> {
        let family = self.families.get(id)?;
        family.default_on(today()).or_else(|| Some(family.newest()))
    }

    /// Every version of contract `id`.
    pub fn family(&self, id: &str) -> Option<&Family> {
        self.families.get(id)
    }

    /// One exact version.
    pub fn version(&self, id: &str, version: &str) -> Option<&Arc<Contract>> {
        let version = Version::parse(version).ok()?;
        self.families.get(id)?.get(&version)
    }

    /// Each contract's default version (see [`Registry::get`]), by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Contract>> {
        self.families.keys().filter_map(|id| self.get(id))
    }

    /// Each contract's family, by id.
    pub fn families(&self) -> impl Iterator<Item = (&str, &Family)> {
        self.families.iter().map(|(id, f)| (id.as_str(), f))
    }

    /// Every version of every contract, as `id@version`.
    pub fn labels(&self) -> Vec<String> {
        self.families
            .iter()
            .flat_map(|(id, f)| f.versions.keys().map(move |v| format!("{id}@{v}")))
            .collect()
    }
}

/// Today, in days since 1970-01-01 (UTC).
pub fn today() -> i64 {
    crate::store::now_ms().div_euclid(86_400_000)
}

fn version_of(contract: &Contract) -> Version {
    Version::parse(&contract.version).expect("a parsed contract has a semantic version")
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> RegistryError {
    let path = path.to_owned();
    move |source| RegistryError::Io { path, source }
}

fn is_contract_file(path: &Path) -> bool {
    path.is_file()
        && matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("toml" | "json")
        )
}

/// The contract files under `dir`, sorted, each with the id its folder
/// names (`None` for a file directly in `dir`).
fn contract_files(dir: &Path) -> Result<Vec<(PathBuf, Option<String>)>, RegistryError> {
    let entries = |dir: &Path| -> Result<Vec<PathBuf>, RegistryError> {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        Ok(paths)
    };
    let mut files = Vec::new();
    for path in entries(dir)? {
        if is_contract_file(&path) {
            files.push((path, None));
        } else if path.is_dir() {
            let Some(id) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            if id.starts_with('.') {
                continue;
            }
            for file in entries(&path)? {
                if is_contract_file(&file) {
                    files.push((file, Some(id.clone())));
                }
            }
        }
    }
    Ok(files)
}

/// What the files under a contracts folder look like now (their paths,
/// sizes and modification times), to notice a change without reading
/// them.
pub(crate) fn fingerprint(dir: &Path) -> Vec<(PathBuf, u64, Option<std::time::SystemTime>)> {
    contract_files(dir)
        .unwrap_or_default()
        .into_iter()
        .map(|(path, _)| {
            let meta = std::fs::metadata(&path).ok();
            let len = meta.as_ref().map_or(0, |m| m.len());
            let modified = meta.and_then(|m| m.modified().ok());
            (path, len, modified)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin(id: &str, version: &str) -> Contract {
        Contract::clone(Registry::builtin().version(id, version).unwrap())
    }

    #[test]
    fn the_builtin_families_have_every_version_and_default_to_the_newest_stable() {
        let registry = Registry::builtin();
        let family = registry.family("customer-list").unwrap();
        assert_eq!(family.listing(), "1.0.0, 1.1.0, 2.0.0");
        assert_eq!(registry.get("customer-list").unwrap().version, "2.0.0");
        let v1 = Version::parse("1.0.0").unwrap();
        assert_eq!(
            family.newest_in_line(&v1, today()).unwrap().version,
            "1.1.0"
        );
        assert_eq!(registry.iter().count(), 2);
    }

    #[test]
    fn an_unmarked_breaking_change_is_refused_and_the_family_is_unchanged() {
        let mut registry = Registry::builtin();
        let mut next = builtin("customer-list", "2.0.0");
        next.version = "2.1.0".into();
        next.release = Default::default();
        next.tiers.get_mut("free").unwrap().max_input_tokens = 1000;
        let e = registry.insert(next.clone()).unwrap_err();
        assert!(matches!(e, RegistryError::UnmarkedBreaking { .. }), "{e}");
        let message = e.to_string();
        assert!(
            message.contains("customer-list 2.1.0 breaks callers of 2.0.0"),
            "{message}"
        );
        assert!(message.contains("free"), "{message}");
        assert!(registry.version("customer-list", "2.1.0").is_none());
        // Marked breaking but in the same major version: still refused.
        next.release.breaking = true;
        next.release.migration = Some("Send less.".into());
        let e = registry.insert(next.clone()).unwrap_err();
        assert!(matches!(e, RegistryError::BreakingNeedsMajor { .. }), "{e}");
        // As 3.0.0 it is accepted.
        next.version = "3.0.0".into();
        registry.insert(next).unwrap();
        assert_eq!(registry.get("customer-list").unwrap().version, "3.0.0");
    }

    #[test]
    fn pre_releases_are_never_defaults_and_match_only_exactly() {
        let mut registry = Registry::builtin();
        let mut rc = builtin("customer-list", "2.0.0");
        rc.version = "3.0.0-rc.1".into();
        registry.insert(rc).unwrap();
        assert_eq!(registry.get("customer-list").unwrap().version, "2.0.0");
        let family = registry.family("customer-list").unwrap();
        let req = |s: &str| VersionReq::parse(s).unwrap();
        assert_eq!(family.matching(&req("3")), None);
        assert_eq!(
            family.matching(&req("3.0.0-rc.1")).unwrap().version,
            "3.0.0-rc.1"
        );
        assert_eq!(family.matching(&req("1.x")).unwrap().version, "1.1.0");
    }
}
