//! Who is calling: the API key in `Authorization: Bearer` or `x-api-key`,
//! looked up by its hash. [`Authed`] needs a valid key, [`MaybeAuthed`]
//! lets anonymous visitors through (the demo routes) but refuses a wrong
//! key rather than ignoring it, and [`Operator`] needs an admin key.

use crate::store::Caller;
use crate::{AppError, AppState};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;

/// The key a request carries, if any.
fn key_of(headers: &HeaderMap) -> Option<&str> {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|k| !k.is_empty());
    let header = headers
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty());
    bearer.or(header)
}

async fn caller(parts: &Parts, state: &AppState) -> Result<Option<Caller>, AppError> {
    let Some(key) = key_of(&parts.headers) else {
        return Ok(None);
    };
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    match accounts.store.authenticate(key).await? {
        Some(caller) => Ok(Some(caller)),
        None => Err(AppError::InvalidKey),
    }
}

/// A caller with a valid key.
#[derive(Debug, Clone)]
pub(super) struct Authed(pub Caller);

impl FromRequestParts<AppState> for Authed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if state.accounts.is_none() {
            return Err(AppError::NoAccounts);
        }
        caller(parts, state)
            .await?
            .map(Authed)
            .ok_or(AppError::MissingKey)
    }
}

/// A caller with a valid key, or an anonymous visitor (no key at all).
#[derive(Debug, Clone)]
pub(super) struct MaybeAuthed(pub Option<Caller>);

impl FromRequestParts<AppState> for MaybeAuthed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        caller(parts, state).await.map(MaybeAuthed)
    }
}

/// A caller with an operator (admin) key.
#[derive(Debug, Clone)]
pub(super) struct Operator(#[allow(dead_code)] pub Caller);

impl FromRequestParts<AppState> for Operator {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Authed(caller) = Authed::from_request_parts(parts, state).await?;
        if caller.admin {
            Ok(Operator(caller))
        } else {
            Err(AppError::Forbidden(
                "this is an operator endpoint: it needs an admin key (`preflight keys create --admin`)"
                    .into(),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_comes_from_either_header() {
        let mut h = HeaderMap::new();
        assert_eq!(key_of(&h), None);
        h.insert("x-api-key", "pp_a".parse().unwrap());
        assert_eq!(key_of(&h), Some("pp_a"));
        h.insert("authorization", "Bearer pp_b".parse().unwrap());
        assert_eq!(key_of(&h), Some("pp_b"));
        h.insert("authorization", "Bearer  ".parse().unwrap());
        assert_eq!(key_of(&h), Some("pp_a"));
    }
}
