//! What the server does for a request, with no HTTP in it: run a model
//! call, retry what can succeed, and say what happened.

pub mod run;
