//! The registry a running server uses, and its reload: from the same
//! folder, on SIGHUP or when a file changes. A reload that fails (a file
//! that does not parse, an unmarked breaking change) is refused with its
//! error and the running versions stay.

use super::{fingerprint, Registry, RegistryError};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

/// The contracts a server is using now.
#[derive(Debug)]
pub struct Contracts {
    current: RwLock<Arc<Registry>>,
    dir: Option<PathBuf>,
    /// The folder as last loaded (or last refused), so an unchanged
    /// folder is not read again.
    seen: Mutex<Vec<(PathBuf, u64, Option<std::time::SystemTime>)>>,
}

/// What a reload changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reloaded {
    /// Versions now served that were not (`id@version`).
    pub added: Vec<String>,
    /// Versions no longer served.
    pub removed: Vec<String>,
    /// Versions served in all.
    pub total: usize,
}

impl Contracts {
    /// A registry that never changes (the built-in contracts, tests).
    pub fn fixed(registry: Registry) -> Self {
        Contracts {
            current: RwLock::new(Arc::new(registry)),
            dir: None,
            seen: Mutex::new(Vec::new()),
        }
    }

    /// The contracts in `dir`, reloaded from it by [`Contracts::reload`].
    pub fn from_dir(dir: &Path) -> Result<Self, RegistryError> {
        let seen = fingerprint(dir);
        let registry = Registry::load_dir(dir)?;
        Ok(Contracts {
            current: RwLock::new(Arc::new(registry)),
            dir: Some(dir.to_owned()),
            seen: Mutex::new(seen),
        })
    }

    /// The registry now. Cheap: a reference count.
    pub fn current(&self) -> Arc<Registry> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The folder the contracts come from, if any.
    pub fn dir(&self) -> Option<&Path> {
        self.dir.as_deref()
    }

    /// Loads the folder again and, when it is valid, serves it. When it is
    /// not, the running versions stay and the error says why.
    pub fn reload(&self) -> Result<Reloaded, RegistryError> {
        let Some(dir) = &self.dir else {
            return Ok(Reloaded {
                total: self.current().labels().len(),
                ..Reloaded::default()
            });
        };
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) = fingerprint(dir);
        let next = Registry::load_dir(dir)?;
        let before = self.current().labels();
        let after = next.labels();
        let reloaded = Reloaded {
            added: after
                .iter()
                .filter(|l| !before.contains(l))
                .cloned()
                .collect(),
            removed: before
                .iter()
                .filter(|l| !after.contains(l))
                .cloned()
                .collect(),
            total: after.len(),
        };
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(next);
        Ok(reloaded)
    }

    /// Reloads when a file in the folder was added, removed or changed
    /// since the last load; `None` when nothing changed.
    pub fn reload_if_changed(&self) -> Option<Result<Reloaded, RegistryError>> {
        let dir = self.dir.as_ref()?;
        let now = fingerprint(dir);
        if *self.seen.lock().unwrap_or_else(|p| p.into_inner()) == now {
            return None;
        }
        Some(self.reload())
    }
}

impl Contracts {
    /// Reloads on SIGHUP, and when a file in the folder changes (looked
    /// at every `every`). Each reload is logged: what it added and
    /// removed, or why it was refused.
    pub fn spawn_watch(
        self: &Arc<Self>,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let contracts = self.clone();
        tokio::spawn(async move {
            #[cfg(unix)]
            let mut hangup =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
            loop {
                #[cfg(unix)]
                let signalled = match hangup.as_mut() {
                    Some(hangup) => tokio::select! {
                        _ = hangup.recv() => true,
                        _ = tokio::time::sleep(every) => false,
                    },
                    None => {
                        tokio::time::sleep(every).await;
                        false
                    }
                };
                #[cfg(not(unix))]
                let signalled = {
                    tokio::time::sleep(every).await;
                    false
                };
                let outcome = if signalled {
                    Some(contracts.reload())
                } else {
                    contracts.reload_if_changed()
                };
                match outcome {
                    Some(Ok(r)) => tracing::info!(
                        added = ?r.added, removed = ?r.removed, versions = r.total,
                        signal = signalled, "contracts reloaded"
                    ),
                    Some(Err(e)) => tracing::error!(
                        error = %e,
                        "contracts not reloaded: the running versions stay until the folder is fixed"
                    ),
                    None => {}
                }
            }
        })
    }
}

impl From<Registry> for Contracts {
    fn from(registry: Registry) -> Self {
        Contracts::fixed(registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: &str = r#"
id = "notes"
version = "1.0.0"
[model]
name = "gpt-4o-mini"
[tiers.free]
max_input_tokens = 2000
"#;

    fn write(dir: &Path, name: &str, text: &str) {
        std::fs::create_dir_all(dir.join("notes")).unwrap();
        std::fs::write(dir.join("notes").join(name), text).unwrap();
    }

    #[test]
    fn a_bad_file_leaves_the_running_versions_and_a_good_one_is_served() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1.0.0.toml", V1);
        let contracts = Contracts::from_dir(dir.path()).unwrap();
        assert!(contracts.reload_if_changed().is_none());
        write(dir.path(), "1.1.0.toml", "id = \"notes\"\nversion = ");
        let e = contracts.reload_if_changed().unwrap().unwrap_err();
        assert!(e.to_string().contains("1.1.0.toml"), "{e}");
        assert_eq!(contracts.current().labels(), ["notes@1.0.0"]);
        // Refused once; not read again until it changes.
        assert!(contracts.reload_if_changed().is_none());
        write(dir.path(), "1.1.0.toml", &V1.replace("1.0.0", "1.1.0"));
        let reloaded = contracts.reload_if_changed().unwrap().unwrap();
        assert_eq!(reloaded.added, ["notes@1.1.0"]);
        assert_eq!(contracts.current().get("notes").unwrap().version, "1.1.0");
    }

    #[test]
    fn a_file_in_the_wrong_folder_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "1.2.0.toml", V1);
        let e = Contracts::from_dir(dir.path()).unwrap_err();
        assert!(matches!(e, RegistryError::Misplaced { .. }), "{e}");
        assert!(e.to_string().contains("1.0.0.toml"), "{e}");
    }
}
