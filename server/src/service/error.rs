//! Why the service could not do what was asked (not why a model call
//! failed: that is an outcome, with its class).

/// A service error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServiceError {
    /// No contract has this id.
    #[error("there is no contract with the id `{0}`")]
    UnknownContract(String),
    /// The core refused the request (an unknown tier, say).
    #[error(transparent)]
    Core(#[from] prompt_preflight::Error),
    /// No version of the contract can serve the request.
    #[error(transparent)]
    Version(#[from] VersionError),
    /// A rollout cannot do what was asked.
    #[error(transparent)]
    Rollout(#[from] RolloutError),
    /// The database failed; the detail is for the log.
    #[error("storage error")]
    Storage(String),
    /// A worker stopped unexpectedly; the detail is for the log.
    #[error("internal error")]
    Internal(String),
}

/// Why no version could serve a request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VersionError {
    /// The version after `@` is not one we can read.
    #[error("{reason}")]
    BadRequirement {
        /// What was asked.
        asked: String,
        /// What is accepted.
        reason: String,
    },
    /// No listed version matches.
    #[error("{id} has no version {asked}; it has {available}")]
    UnknownVersion {
        /// The contract.
        id: String,
        /// What was asked (`1.x`, `3.0.0`).
        asked: String,
        /// The versions there are.
        available: String,
    },
    /// The version is past its sunset (or no longer listed, and no version
    /// of its major serves): the request is refused.
    #[error("{id} {version} {}. {}", match .sunset { Some(day) => format!("was retired on {day}"), None => "is no longer served".to_owned() }, match .replacement { Some(r) => format!("Move to version {r}: send `POST /v1/contracts/{id}/upgrade`, or name `{id}@{r}` in your request"), None => "No later version serves it either".to_owned() })]
    Retired {
        /// The contract.
        id: String,
        /// The retired version.
        version: String,
        /// Its sunset day, when it has one.
        sunset: Option<String>,
        /// The version to move to.
        replacement: Option<String>,
        /// What a caller must change to move.
        migration: Option<String>,
    },
}

/// Why a rollout cannot start or change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RolloutError {
    /// No rollout has this id.
    #[error("there is no rollout with the id `{0}`")]
    Unknown(String),
    /// The rollout asked for makes no sense; the words say why.
    #[error("{0}")]
    Invalid(String),
    /// Another rollout of the contract is running, or this one has ended.
    #[error("{0}")]
    Conflict(String),
}
