//! What can go wrong when the model is called: one stable class per
//! outcome, and whether it is worth trying again.

use serde::{Deserialize, Serialize};

macro_rules! classes {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal, )*) => {
        /// The class of a failed call to a model: every provider error,
        /// transport failure and unusable answer is exactly one of these.
        #[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        #[non_exhaustive]
        pub enum FailureClass {
            $( $(#[$doc])* $variant, )*
        }

        impl FailureClass {
            /// Every class, in catalogue order.
            pub const ALL: &'static [FailureClass] = &[$(FailureClass::$variant),*];

            /// The stable snake_case name.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FailureClass::$variant => $name,)*
                }
            }
        }
    };
}

classes! {
    /// Too many requests for now: the provider's rate limit.
    RateLimited = "rate_limited",
    /// The request is more than the model can read at once.
    ContextTooLong = "context_too_long",
    /// The answer was cut off at its length limit.
    OutputTruncated = "output_truncated",
    /// The provider could not use the request as sent.
    InvalidRequest = "invalid_request",
    /// The key was refused, or the service is set up wrongly (an unknown
    /// model, no access): for the operator to fix.
    AuthFailed = "auth_failed",
    /// The provider's own quota or billing ran out, not the user's.
    ProviderQuotaExhausted = "provider_quota_exhausted",
    /// The provider's safety filter blocked the request or the answer.
    ContentFiltered = "content_filtered",
    /// No answer in time.
    Timeout = "timeout",
    /// The provider is down or overloaded (5xx, 529, a refused or reset
    /// connection).
    ProviderUnavailable = "provider_unavailable",
    /// The user's own allowance on this service (their tier's quota) ran
    /// out partway through a run.
    QuotaExceeded = "quota_exceeded",
    /// Anything else.
    Unknown = "unknown",
}

/// Whether a failed call is tried again, and how.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RetryPolicy {
    /// The same request again, once the provider's hint says so
    /// (`retry-after`, reset headers, `RetryInfo`), else after a backoff.
    AfterHint,
    /// The same request again after a backoff with jitter, or on the next
    /// provider of the fallback chain.
    Backoff,
    /// Not the same request: a different one can work (split the input,
    /// ask for a shorter answer, a model with a larger window).
    Recover,
    /// Nothing sent again can succeed.
    Never,
}

impl std::fmt::Display for FailureClass {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
