//! The "Changelog and migration" section: every version of the contract,
//! newest first, with what its `[release]` says.

use super::markdown::{item, paragraph};
use crate::contract::ReleaseSpec;
use crate::Contract;

/// The "Changelog and migration" section over `versions` (newest first,
/// the page's own version among them).
pub(super) fn section(current: &Contract, versions: &[&Contract]) -> String {
    let mut out = String::from("## Changelog and migration\n");
    for version in versions {
        out.push_str(&format!("\n### {}\n\n", version.version));
        if version.version == current.version {
            out.push_str("*The version this page describes.*\n\n");
        }
        out.push_str(&release(&version.release));
    }
    out
}

fn release(release: &ReleaseSpec) -> String {
    let mut out = String::new();
    if release.breaking {
        out.push_str("**Breaking:** callers of the version before it must change.\n\n");
    }
    if release.changes.is_empty() {
        out.push_str("No changes listed.\n");
    } else {
        for change in &release.changes {
            out.push_str(&item(change));
        }
    }
    if let Some(migration) = &release.migration {
        out.push_str(&format!("\n**Migration:** {}", paragraph(migration)));
    }
    if let Some(day) = &release.deprecated {
        out.push_str(&format!(
            "\n**Deprecated** from {day}: it still serves, with a warning.\n"
        ));
    }
    if let Some(day) = &release.sunset {
        out.push_str(&format!(
            "\n**Sunset** from {day}: requests for it are refused.\n"
        ));
    }
    out
}

/// The contract and the other versions of its id, newest first: one
/// contract per version (the page's own wins), other ids left out.
pub(super) fn versions<'a>(contract: &'a Contract, history: &[&'a Contract]) -> Vec<&'a Contract> {
    let mut versions = vec![contract];
    for &other in history {
        if other.id == contract.id && versions.iter().all(|v| v.version != other.version) {
            versions.push(other);
        }
    }
    // Validated contracts have semantic versions; anything else sorts
    // after them, by its text.
    versions.sort_by(|a, b| {
        let key = |c: &Contract| semver::Version::parse(&c.version).ok();
        key(b).cmp(&key(a)).then_with(|| b.version.cmp(&a.version))
    });
    versions
}
