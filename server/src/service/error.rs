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
    Version(#[from] super::versions::VersionError),
    /// The database failed; the detail is for the log.
    #[error("storage error")]
    Storage(String),
    /// A worker stopped unexpectedly; the detail is for the log.
    #[error("internal error")]
    Internal(String),
}
