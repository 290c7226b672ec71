//! What the server does for a request, with no HTTP in it: check the
//! input, run the model call (or a plan's calls) with retries, fallbacks
//! and breakers, recover a cut-off answer, check the answer, and say what
//! happened.

pub mod backlog;
pub mod budget;
pub mod call;
pub mod check;
pub mod docs;
pub mod error;
pub mod events;
pub mod health;
pub mod limits;
pub mod metrics;
pub mod output;
pub mod queue;
pub mod quota;
pub mod record;
pub mod rollout;
pub mod run;
pub mod usage;
pub mod versions;
