//! The Prompt Preflight server: the final check before the model (never
//! trust the client), the HTTP API, the web app's static files, and the
//! `preflight` command line.
//!
//! [`app`] builds the router, so tests drive it with `oneshot` and no socket.

#![warn(missing_docs)]

pub mod cli;
pub mod config;
#[cfg(feature = "fake")]
pub mod fake;
mod http;
mod provider;
pub mod registry;
pub mod service;
mod state;
pub mod store;

pub use config::{Config, ConfigError};
pub use http::{app, start_workers, AppError, MAX_BODY_BYTES};
pub use provider::{chat, classify, hints, sse};
pub use provider::{
    Provider, ProviderConfig, ProviderCount, ProviderEndpoint, ProviderEnv, ProviderError,
    Providers, COUNTING,
};
pub use registry::{Registry, RegistryError};
pub use state::{Accounts, AppState, StaticDirs};
