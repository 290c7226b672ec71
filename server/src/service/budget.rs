//! What a run may still spend: asked before every model call, told after
//! it. The quota's ticket ([`crate::service::quota::Ticket`]) is the one
//! in use; a run without one (the dry run, a test) has no limit.

use crate::chat::Usage;
use crate::classify::Classified;
use std::future::Future;
use std::pin::Pin;

/// What [`Budget::cover`] returns.
pub type Cover<'a> = Pin<Box<dyn Future<Output = Result<(), Classified>> + Send + 'a>>;

/// A run's allowance, one model call at a time.
pub trait Budget: Send + Sync {
    /// Makes room for one call of `tokens` (input, most output) on
    /// `model`, or says why there is none (a failure of class
    /// `quota_exceeded`, with the user's words as its detail).
    fn cover<'a>(&'a self, model: &'a str, tokens: (u64, u64)) -> Cover<'a>;

    /// Records what the covered call of `tokens` on `model` used.
    fn charge(&self, model: &str, tokens: (u64, u64), used: &Usage);
}
