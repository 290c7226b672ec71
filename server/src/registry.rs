//! The contracts a server knows, loaded once at start-up.

use prompt_preflight::Contract;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The example contracts shipped in the repository, built in so that the
/// server runs with no files at all.
pub const BUILTIN_CONTRACTS: [&str; 2] = [
    include_str!("../../contracts/customer-list.toml"),
    include_str!("../../contracts/summarise-document.toml"),
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
    /// Two files declare the same contract id.
    #[error("the contract id `{0}` is declared by more than one file")]
    Duplicate(String),
}

/// Contracts by id.
#[derive(Debug, Default, Clone)]
pub struct Registry {
    contracts: BTreeMap<String, Arc<Contract>>,
}

impl Registry {
    /// The built-in example contracts only.
    pub fn builtin() -> Self {
        let mut registry = Registry::default();
        for source in BUILTIN_CONTRACTS {
            let contract = Contract::parse(source).expect("the built-in contracts are valid");
            registry
                .contracts
                .insert(contract.id.clone(), Arc::new(contract));
        }
        registry
    }

    /// Every `*.toml` and `*.json` contract in a directory.
    pub fn load_dir(dir: &Path) -> Result<Self, RegistryError> {
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| RegistryError::Io { path, source }
        };
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| {
                matches!(
                    p.extension().and_then(|e| e.to_str()),
                    Some("toml" | "json")
                )
            })
            .collect();
        paths.sort();
        let mut registry = Registry::default();
        for path in paths {
            let source = std::fs::read_to_string(&path).map_err(io(&path))?;
            let contract = Contract::parse(&source).map_err(|source| RegistryError::Invalid {
                path: path.clone(),
                source,
            })?;
            registry.insert(contract)?;
        }
        Ok(registry)
    }

    /// Adds a contract; its id must be new, and its output schema (if it
    /// has one) must compile.
    pub fn insert(&mut self, contract: Contract) -> Result<(), RegistryError> {
        if self.contracts.contains_key(&contract.id) {
            return Err(RegistryError::Duplicate(contract.id));
        }
        if let Some(output) = &contract.output {
            crate::service::output::OutputCheck::new(output).map_err(|reason| {
                RegistryError::OutputSchema {
                    id: contract.id.clone(),
                    reason,
                }
            })?;
        }
        self.contracts
            .insert(contract.id.clone(), Arc::new(contract));
        Ok(())
    }

    /// The contract with this id.
    pub fn get(&self, id: &str) -> Option<&Arc<Contract>> {
        self.contracts.get(id)
    }

    /// All contracts, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Contract>> {
        self.contracts.values()
    }
}
