//! What every request handler shares.

use crate::Registry;
use std::path::PathBuf;
use std::sync::Arc;

/// Shared state of the server.
#[derive(Clone)]
pub struct AppState {
    /// The contracts this server checks against.
    pub registry: Arc<Registry>,
    /// Where the web app and the npm package are served from, if anywhere.
    pub static_dirs: Option<StaticDirs>,
}

/// Directories of static files.
#[derive(Debug, Clone)]
pub struct StaticDirs {
    /// The web app (`www/`), served at `/`.
    pub www: PathBuf,
    /// The npm package (`pkg/`), served at `/pkg`.
    pub pkg: PathBuf,
}

impl AppState {
    /// State with the given contracts and no static files.
    pub fn new(registry: Registry) -> Self {
        AppState {
            registry: Arc::new(registry),
            static_dirs: None,
        }
    }
}
