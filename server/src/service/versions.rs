//! Which version of a contract a request runs on, and moving between
//! versions.
//!
//! - A request may name versions itself (`customer-list@1.x`, `@1.2.0`):
//!   the newest match serves it, and the caller's pin is left alone.
//! - Otherwise a caller with a key is on their pin. The first request pins
//!   them to the default version (the newest stable one); a new minor or
//!   patch release moves the pin forward by itself; a new major version
//!   never does: the caller upgrades when they choose
//!   ([`plan_upgrade`], `POST /v1/contracts/{id}/upgrade`).
//! - A caller without a key gets the default version.
//!
//! A deprecated version still serves, with a warning; a version past its
//! sunset is refused with its replacement and the migration notes.

use super::error::ServiceError;
pub use super::error::VersionError;
use super::rollout::{self, Holds};
use crate::registry::{same_line, today, ContractRef, Family, Registry, VersionReq};
use crate::store::Store;
use prompt_preflight::contract::{incompatibilities, Incompatibility, Standing};
use prompt_preflight::Contract;
use semver::Version;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::Arc;

/// How the version of a request was chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Chosen {
    /// The request named it (`@1.x`, `@1.2.0`).
    Requested,
    /// The caller's pin.
    Pinned,
    /// The caller's first request: now pinned to it.
    NewPin,
    /// A minor or patch release moved the caller's pin forward.
    Moved {
        /// The version the pin was on.
        from: String,
    },
    /// No key, so no pin: the default version.
    Default,
    /// A staged rollout put the caller in its candidate group.
    Rollout {
        /// The rollout.
        rollout: String,
        /// The version the pin was on, if it had one.
        from: Option<String>,
    },
}

/// A later version the caller can move to by asking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upgrade {
    /// Its version.
    pub version: String,
    /// Whether moving needs changes on the caller's side.
    pub breaking: bool,
    /// What those changes are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
}

/// The version a request runs on, and what the caller should know.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The contract at that version.
    pub contract: Arc<Contract>,
    /// How it was chosen.
    pub chosen: Chosen,
    /// Whether it is deprecated (a sunset one is never resolved).
    pub standing: Standing,
    /// A later major version, when there is one to upgrade to.
    pub upgrade: Option<Upgrade>,
}

impl Resolved {
    /// A warning for a deprecated version, in words, naming the sunset
    /// day and the version to move to.
    pub fn warning(&self) -> Option<String> {
        if self.standing != Standing::Deprecated {
            return None;
        }
        let c = &self.contract;
        let mut words = format!("{} {} is deprecated", c.id, c.version);
        match &c.release.sunset {
            Some(day) => words.push_str(&format!(" and stops serving on {day}")),
            None => words.push_str(" and will stop serving later"),
        }
        words.push('.');
        if let Some(upgrade) = &self.upgrade {
            words.push_str(&format!(
                " Move to version {} (`POST /v1/contracts/{}/upgrade`).",
                upgrade.version, c.id
            ));
        }
        Some(words)
    }
}

/// The rollout bucket of a user on a contract, 0 to 9,999: the first
/// bytes of SHA-256 over both, so it is the same on every instance and
/// every request, and independent between contracts.
///
/// ```
/// use prompt_preflight_server::service::versions::bucket;
/// assert_eq!(bucket("u_1", "notes"), bucket("u_1", "notes"));
/// assert!((0..10_000).contains(&bucket("u_2", "notes")));
/// ```
pub fn bucket(user_id: &str, contract: &str) -> i64 {
    let digest = Sha256::new()
        .chain_update(user_id.as_bytes())
        .chain_update([0u8])
        .chain_update(contract.as_bytes())
        .finalize();
    let n = u64::from_be_bytes(digest[..8].try_into().expect("eight bytes"));
    (n % 10_000) as i64
}

fn parse(v: &str) -> Option<Version> {
    Version::parse(v).ok()
}

/// The newest default version past `contract`'s major, if any.
fn upgrade_for(family: &Family, contract: &Contract, today: i64) -> Option<Upgrade> {
    let current = parse(&contract.version)?;
    let newest = family.default_on(today)?;
    let version = parse(&newest.version)?;
    (version > current && !same_line(&current, &version)).then(|| Upgrade {
        version: newest.version.clone(),
        breaking: newest.release.breaking,
        migration: newest.release.migration.clone(),
    })
}

/// The refusal for a version that no longer serves.
/// `open` is the family without held versions, so the replacement is one
/// that serves everyone.
fn retired(open: &Family, id: &str, version: &str, today: i64) -> VersionError {
    let sunset = parse(version)
        .and_then(|v| open.get(&v).cloned())
        .and_then(|c| c.release.sunset.clone());
    let replacement = open.default_on(today);
    VersionError::Retired {
        id: id.to_owned(),
        version: version.to_owned(),
        sunset,
        replacement: replacement.map(|c| c.version.clone()),
        migration: replacement.and_then(|c| c.release.migration.clone()),
    }
}

/// Chooses the version a request runs on: the one it names, the caller's
/// pin (moved forward by a minor or patch release, or into a rollout's
/// candidate group), or the default. Versions a rollout holds back are
/// nobody's default (see [`super::rollout`]).
pub async fn resolve(
    registry: &Registry,
    store: Option<&Store>,
    user_id: Option<&str>,
    reference: &str,
) -> Result<Resolved, ServiceError> {
    let today = today();
    let reference =
        ContractRef::parse(reference).map_err(|reason| VersionError::BadRequirement {
            asked: reference.to_owned(),
            reason,
        })?;
    let id = reference.id.as_str();
    let family = registry
        .family(id)
        .ok_or_else(|| ServiceError::UnknownContract(id.to_owned()))?;
    let holds = rollout::holds_in(store, family).await?;
    let (contract, chosen, open) = match (&reference.version, store.zip(user_id)) {
        (Some(req), _) => {
            let contract = family
                .matching(req)
                .ok_or_else(|| VersionError::UnknownVersion {
                    id: id.to_owned(),
                    asked: req.to_string(),
                    available: family.listing(),
                })?;
            // A range skips retired versions; an exact version is refused.
            let contract = match (req, contract.release.standing(today)) {
                (VersionReq::Exact(_), _) | (_, Standing::Active | Standing::Deprecated) => {
                    contract.clone()
                }
                _ => family
                    .versions()
                    .rev()
                    .map(|(_, c)| c)
                    .find(|c| {
                        parse(&c.version).is_some_and(|v| req.matches(&v))
                            && c.release.standing(today) != Standing::Sunset
                    })
                    .cloned()
                    .unwrap_or_else(|| contract.clone()),
            };
            let open = holds.open(family, parse(&contract.version).as_ref());
            (contract, Chosen::Requested, open)
        }
        (None, Some((store, user))) => {
            let (contract, chosen, open) = pinned(family, &holds, store, user, today).await?;
            match chosen {
                Some(chosen) => (contract, chosen, open),
                // Another request pinned or moved it first: take theirs.
                None => return Box::pin(resolve(registry, Some(store), Some(user), id)).await,
            }
        }
        (None, None) => {
            let open = holds.open(family, None);
            let default = open
                .default_on(today)
                .ok_or_else(|| retired(&open, id, &family.newest().version, today))?
                .clone();
            (default, Chosen::Default, open)
        }
    };
    let standing = contract.release.standing(today);
    if standing == Standing::Sunset {
        return Err(retired(&open, id, &contract.version, today).into());
    }
    Ok(Resolved {
        upgrade: upgrade_for(&open, &contract, today),
        contract,
        chosen,
        standing,
    })
}

/// The version of a caller with a key: their pin, made now when they have
/// none (by the running rollout's assignment, when there is one), moved
/// into a rollout's candidate group or forward by a compatible release.
/// `None` for the choice when another request changed the pin meanwhile.
async fn pinned(
    family: &Family,
    holds: &Holds,
    store: &Store,
    user: &str,
    today: i64,
) -> Result<(Arc<Contract>, Option<Chosen>, Family), ServiceError> {
    let id = family.newest().id.clone();
    let find = |version: &str| parse(version).and_then(|v| family.get(&v)).cloned();
    let Some(pin) = store.pin(user, &id).await.map_err(internal)? else {
        let bucket = bucket(user, &id);
        let open = holds.open(family, None);
        let (version, rollout) = match (holds.assigns(bucket, None), &holds.running) {
            (Some(r), _) => (r.candidate.clone(), Some(r)),
            (None, running) => {
                let default = open
                    .default_on(today)
                    .ok_or_else(|| retired(&open, &id, &family.newest().version, today))?;
                (default.version.clone(), running.as_ref())
            }
        };
        let pin = match rollout {
            Some(r) => store.create_rollout_pin(user, r, &version, bucket).await,
            None => store.create_pin(user, &id, &version, bucket).await,
        }
        .map_err(internal)?;
        let contract =
            find(&pin.version).ok_or_else(|| internal_words("a pin to an unlisted version"))?;
        if pin.version != version {
            return Ok((contract, None, open));
        }
        let chosen = match rollout {
            Some(r) if r.candidate == version => Chosen::Rollout {
                rollout: r.id.clone(),
                from: None,
            },
            _ => Chosen::NewPin,
        };
        let open = holds.open(family, parse(&version).as_ref());
        return Ok((contract, Some(chosen), open));
    };
    let pinned = parse(&pin.version);
    let bucket = pin.bucket.unwrap_or_else(|| bucket(user, &id));
    if let Some(r) = holds.assigns(bucket, pinned.as_ref()) {
        let target =
            find(&r.candidate).ok_or_else(|| internal_words("a rollout of an unlisted version"))?;
        let moved = store
            .move_pin_into(user, r, &pin.version, &r.candidate)
            .await
            .map_err(internal)?;
        let open = holds.open(family, parse(&r.candidate).as_ref());
        let chosen = moved.then(|| Chosen::Rollout {
            rollout: r.id.clone(),
            from: Some(pin.version.clone()),
        });
        return Ok((target, chosen, open));
    }
    let open = holds.open(family, pinned.as_ref());
    let target = pinned.as_ref().and_then(|v| open.newest_in_line(v, today));
    match target {
        Some(target) if target.version == pin.version => {
            Ok((target.clone(), Some(Chosen::Pinned), open))
        }
        Some(target) => {
            let moved = store
                .move_pin(user, &id, &pin.version, &target.version)
                .await
                .map_err(internal)?;
            let chosen = moved.then(|| Chosen::Moved {
                from: pin.version.clone(),
            });
            Ok((target.clone(), chosen, open))
        }
        None => Err(retired(&open, &id, &pin.version, today).into()),
    }
}

fn internal_words(words: &str) -> ServiceError {
    ServiceError::Storage(words.to_owned())
}

fn internal(e: crate::store::StoreError) -> ServiceError {
    ServiceError::Storage(e.to_string())
}

/// One version's release notes, as an upgrade shows them.
#[derive(Debug, Clone, Serialize)]
pub struct ReleaseNotes {
    /// The version.
    pub version: String,
    /// Its changelog.
    pub changes: Vec<String>,
    /// Whether it breaks callers of the version before it.
    pub breaking: bool,
    /// What those callers change.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub migration: Option<String>,
}

/// A move from the caller's version to another, before it is made.
#[derive(Debug, Clone)]
pub struct UpgradePlan {
    /// The contract's id.
    pub id: String,
    /// The caller's version now.
    pub from_version: String,
    /// That version's contract; `None` when the registry no longer lists
    /// it.
    pub from: Option<Arc<Contract>>,
    /// The version to move to (the same as `from` when there is nothing
    /// newer).
    pub to: Arc<Contract>,
    /// The release notes of every version after `from`, up to `to`.
    pub notes: Vec<ReleaseNotes>,
    /// What `to` breaks for callers of `from`, computed.
    pub breaks: Vec<Incompatibility>,
}

/// What moving the caller from their version to `to` (by default the
/// newest stable version) involves.
pub async fn plan_upgrade(
    registry: &Registry,
    store: &Store,
    user_id: &str,
    id: &str,
    to: Option<&str>,
) -> Result<UpgradePlan, ServiceError> {
    let today = today();
    let family = registry
        .family(id)
        .ok_or_else(|| ServiceError::UnknownContract(id.to_owned()))?;
    // A caller on a retired version can still move off it.
    let (from_version, current) = match resolve(registry, Some(store), Some(user_id), id).await {
        Ok(resolved) => (resolved.contract.version.clone(), Some(resolved.contract)),
        Err(ServiceError::Version(VersionError::Retired { version, .. })) => {
            let listed = parse(&version).and_then(|v| family.get(&v)).cloned();
            (version, listed)
        }
        Err(e) => return Err(e),
    };
    let holds = rollout::holds(store, family).await?;
    let open = holds.open(family, parse(&from_version).as_ref());
    let target = match to {
        Some(asked) => {
            let req = VersionReq::parse(asked).map_err(|reason| VersionError::BadRequirement {
                asked: asked.to_owned(),
                reason,
            })?;
            let found = family
                .matching(&req)
                .ok_or_else(|| VersionError::UnknownVersion {
                    id: id.to_owned(),
                    asked: req.to_string(),
                    available: family.listing(),
                })?;
            if found.release.standing(today) == Standing::Sunset {
                return Err(retired(&open, id, &found.version, today).into());
            }
            found.clone()
        }
        None => match open
            .default_on(today)
            .filter(|d| parse(&d.version) > parse(&from_version))
            .or(current.as_ref())
        {
            Some(target) => target.clone(),
            None => return Err(retired(&open, id, &from_version, today).into()),
        },
    };
    let (from_v, to_v) = (parse(&from_version), parse(&target.version));
    let notes = family
        .versions()
        .filter(|(v, _)| Some(*v) > from_v.as_ref() && Some(*v) <= to_v.as_ref())
        .filter(|(v, c)| v.pre.is_empty() || c.version == target.version)
        .map(|(_, c)| ReleaseNotes {
            version: c.version.clone(),
            changes: c.release.changes.clone(),
            breaking: c.release.breaking,
            migration: c.release.migration.clone(),
        })
        .collect();
    Ok(UpgradePlan {
        id: id.to_owned(),
        breaks: current
            .as_ref()
            .map(|c| incompatibilities(c, &target))
            .unwrap_or_default(),
        from_version,
        from: current,
        to: target,
        notes,
    })
}

/// Moves the caller's pin as `plan` says; `false` when there was nothing
/// to move or another request moved it first.
pub async fn apply_upgrade(
    store: &Store,
    user_id: &str,
    plan: &UpgradePlan,
) -> Result<bool, ServiceError> {
    if plan.from_version == plan.to.version {
        return Ok(false);
    }
    store
        .move_pin(user_id, &plan.id, &plan.from_version, &plan.to.version)
        .await
        .map_err(internal)
}
