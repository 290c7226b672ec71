//! The contracts and their versions:
//!
//! - `GET /v1/contracts`: each contract, its default version and every
//!   version with its release notes;
//! - `GET /v1/contracts/{id}`: the contract at the caller's version (their
//!   pin, made on first use), or at `{id}@1.x` / `{id}@1.2.0`;
//! - `GET /v1/contracts/{id}/versions`: every version, the caller's, and
//!   the upgrade there is;
//! - `GET /v1/contracts/{id}/{version}`: one exact version, with an `ETag`
//!   (`If-None-Match` answers 304), for clients that cache it;
//! - `GET` and `POST /v1/contracts/{id}/upgrade`: the migration notes of a
//!   move to a later version, and the move (`dry_run` checks the input on
//!   both versions instead).

use super::auth::{Authed, MaybeAuthed};
use super::extract::JsonBody;
use super::version::{self, docs_path, VersionView};
use crate::registry::{today, Family};
use crate::service::check::{final_check, Content};
use crate::service::rollout::{self, Holds};
use crate::service::versions::{self, ReleaseNotes};
use crate::{AppError, AppState};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use prompt_preflight::contract::{Incompatibility, Standing};
use prompt_preflight::{Contract, Report, Tier};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// A contract as listed: enough to pick one, a tier and a version.
#[derive(Serialize)]
pub(super) struct Summary {
    id: String,
    version: String,
    description: String,
    default_tier: String,
    tiers: BTreeMap<String, Tier>,
    versions: Vec<VersionSummary>,
}

/// One version as listed.
#[derive(Serialize)]
pub(super) struct VersionSummary {
    version: String,
    standing: Standing,
    prerelease: bool,
    breaking: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    changes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    migration: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deprecated: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sunset: Option<String>,
    /// Staged or rolling out: nobody's default, and no pin moves to it by
    /// itself.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    held: bool,
    docs: String,
}

fn summaries(family: &Family, holds: &Holds) -> Vec<VersionSummary> {
    let today = today();
    family
        .versions()
        .map(|(v, c)| VersionSummary {
            held: holds.held.contains(v),
            version: c.version.clone(),
            standing: c.release.standing(today),
            prerelease: !v.pre.is_empty(),
            breaking: c.release.breaking,
            changes: c.release.changes.clone(),
            migration: c.release.migration.clone(),
            deprecated: c.release.deprecated.clone(),
            sunset: c.release.sunset.clone(),
            docs: docs_path(&c.id, &c.version),
        })
        .collect()
}

pub(super) async fn list(State(state): State<AppState>) -> Result<Json<Vec<Summary>>, AppError> {
    let registry = state.registry();
    let mut listed = Vec::new();
    for (_, family) in registry.families() {
        let holds = rollout::holds_in(state.store(), family).await?;
        let open = holds.open(family, None);
        let Some(c) = open
            .default_on(today())
            .or_else(|| family.versions().next_back().map(|(_, c)| c))
        else {
            continue;
        };
        listed.push(Summary {
            id: c.id.clone(),
            version: c.version.clone(),
            description: c.description.clone(),
            default_tier: c.tier(None).map(|(n, _)| n.to_owned()).unwrap_or_default(),
            tiers: c.tiers.clone(),
            versions: summaries(family, &holds),
        });
    }
    Ok(Json(listed))
}

/// The strong validator of a contract version: its JSON's SHA-256.
fn etag(contract: &Contract) -> String {
    let json = serde_json::to_vec(contract).unwrap_or_default();
    let digest = Sha256::digest(&json);
    let hex: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    format!("\"{hex}\"")
}

/// The contract as JSON (which the browser hands to the Wasm core), with
/// its ETag; `304` when the client's copy is current. Clients must
/// revalidate every time (`no-cache`), so a version the server stops
/// listing is never served from a cache.
fn contract_response(headers: &HeaderMap, contract: &Contract) -> Response {
    let tag = etag(contract);
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        Json(contract).into_response()
    };
    let h = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        header::VARY,
        HeaderValue::from_static("authorization, x-api-key"),
    );
    response
}

pub(super) async fn show(
    State(state): State<AppState>,
    MaybeAuthed(caller): MaybeAuthed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let resolved = version::resolve(&state, caller.as_ref(), &id).await?;
    let mut response = contract_response(&headers, &resolved.contract);
    version::headers(response.headers_mut(), &resolved);
    Ok(response)
}

pub(super) async fn exact(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((id, version)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let registry = state.registry();
    let family = registry
        .family(&id)
        .ok_or_else(|| AppError::UnknownContract(id.clone()))?;
    let exact = semver::Version::parse(&version).ok();
    let Some(contract) = exact.as_ref().and_then(|v| family.get(v)) else {
        return Err(AppError::Version(versions::VersionError::UnknownVersion {
            id,
            asked: version,
            available: family.listing(),
        }));
    };
    // An exact, retired version: refused with its replacement.
    let resolved = version::resolve(&state, None, &format!("{id}@{version}")).await?;
    let mut response = contract_response(&headers, contract);
    version::headers(response.headers_mut(), &resolved);
    Ok(response)
}

/// Every version, and the caller's.
#[derive(Serialize)]
pub(super) struct Versions {
    id: String,
    default: Option<String>,
    current: VersionView,
    versions: Vec<VersionSummary>,
}

pub(super) async fn versions(
    State(state): State<AppState>,
    MaybeAuthed(caller): MaybeAuthed,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let resolved = version::resolve(&state, caller.as_ref(), &id).await?;
    let registry = state.registry();
    let family = registry
        .family(&resolved.contract.id)
        .ok_or_else(|| AppError::UnknownContract(id.clone()))?;
    let holds = rollout::holds_in(state.store(), family).await?;
    let mut response = Json(Versions {
        id: resolved.contract.id.clone(),
        default: holds
            .open(family, None)
            .default_on(today())
            .map(|c| c.version.clone()),
        current: VersionView::of(&resolved),
        versions: summaries(family, &holds),
    })
    .into_response();
    version::headers(response.headers_mut(), &resolved);
    Ok(response)
}

/// What `POST /v1/contracts/{id}/upgrade` takes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct UpgradeRequest {
    /// The version to move to (`2.0.0`, `2.x`); the newest stable by
    /// default.
    #[serde(default)]
    to: Option<String>,
    /// Check the input on both versions and show both, without moving.
    #[serde(default)]
    dry_run: bool,
    /// The input for the dry run; by default the caller's last input, when
    /// the server keeps inputs.
    #[serde(default)]
    text: Option<String>,
}

/// A version's verdict on one input, for the dry run.
#[derive(Serialize)]
pub(super) struct Trial {
    version: String,
    ok: bool,
    report: Report,
}

/// The dry run: the same input on both versions.
#[derive(Serialize)]
pub(super) struct DryRun {
    input: &'static str,
    /// `None` when the caller's version is no longer listed.
    from: Option<Trial>,
    to: Trial,
}

/// The answer of an upgrade.
#[derive(Serialize)]
pub(super) struct UpgradeAnswer {
    id: String,
    from: String,
    to: String,
    /// Whether the pin moved (never in a dry run or a preview).
    upgraded: bool,
    /// What happened, in words.
    message: String,
    breaking: bool,
    /// The release notes of every version after `from`, up to `to`.
    notes: Vec<ReleaseNotes>,
    /// What `to` breaks for callers of `from`, computed from the two.
    breaks: Vec<Incompatibility>,
    docs: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    dry_run: Option<DryRun>,
}

fn answer(plan: &versions::UpgradePlan, upgraded: bool, preview: bool) -> UpgradeAnswer {
    let (id, from, to) = (&plan.id, &plan.from_version, &plan.to);
    let message = if *from == to.version {
        format!("You are on {id} {from}, the newest version.")
    } else if upgraded {
        format!(
            "You are now on {id} {} (from {from}). Requests that name no version use it.",
            to.version
        )
    } else if preview {
        format!(
            "{id} {} is available; you are on {from}. Read the notes, then send POST to upgrade.",
            to.version
        )
    } else {
        format!(
            "You are still on {id} {from}: another request moved your version first; look again."
        )
    };
    UpgradeAnswer {
        id: id.clone(),
        from: from.clone(),
        to: to.version.clone(),
        upgraded,
        message,
        breaking: plan.notes.iter().any(|n| n.breaking) || !plan.breaks.is_empty(),
        notes: plan.notes.clone(),
        breaks: plan.breaks.clone(),
        docs: docs_path(&to.id, &to.version),
        dry_run: None,
    }
}

pub(super) async fn upgrade_preview(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
) -> Result<Json<UpgradeAnswer>, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    let plan = versions::plan_upgrade(
        &state.registry(),
        &accounts.store,
        &caller.user_id,
        &id,
        None,
    )
    .await?;
    Ok(Json(answer(&plan, false, true)))
}

pub(super) async fn upgrade(
    State(state): State<AppState>,
    Authed(caller): Authed,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<UpgradeRequest>,
) -> Result<Json<UpgradeAnswer>, AppError> {
    let accounts = state.accounts.as_ref().ok_or(AppError::NoAccounts)?;
    let store = &accounts.store;
    let plan = versions::plan_upgrade(
        &state.registry(),
        store,
        &caller.user_id,
        &id,
        request.to.as_deref(),
    )
    .await?;
    if !request.dry_run {
        let upgraded = versions::apply_upgrade(store, &caller.user_id, &plan).await?;
        tracing::info!(contract = %id, from = %plan.from_version, to = %plan.to.version, upgraded, "upgrade");
        return Ok(Json(answer(&plan, upgraded, false)));
    }
    let (text, input) = match request.text {
        Some(text) => (text, "the text sent with the dry run"),
        None => match store.last_content(&caller.user_id, &plan.id).await? {
            Some(text) => (text, "your last request"),
            None => {
                return Err(AppError::BadField {
                    field: "text".into(),
                    message: "this server keeps no copy of your last request, so send the input \
                              to try in `text`"
                        .into(),
                })
            }
        },
    };
    let tier = Some(caller.tier.clone());
    let trial = |contract: std::sync::Arc<Contract>| {
        let (counter, tier, text) = (state.counter.clone(), tier.clone(), text.clone());
        async move {
            let version = contract.version.clone();
            let checked = final_check(&counter, contract, tier, Content::Text(text), false).await?;
            Ok::<_, AppError>(Trial {
                version,
                ok: checked.report.ok,
                report: checked.report,
            })
        }
    };
    let from = match plan.from.clone() {
        Some(contract) => Some(trial(contract).await?),
        None => None,
    };
    let to = trial(plan.to.clone()).await?;
    let verdict = |ok: bool| if ok { "passes" } else { "is refused" };
    let mut body = answer(&plan, false, true);
    body.message = match &from {
        Some(from) => format!(
            "A dry run of {input}: it {} on {} and {} on {}. Nothing was moved or charged.",
            verdict(from.ok),
            from.version,
            verdict(to.ok),
            to.version,
        ),
        None => format!(
            "A dry run of {input}: it {} on {}. Nothing was moved or charged.",
            verdict(to.ok),
            to.version,
        ),
    };
    body.dry_run = Some(DryRun { input, from, to });
    Ok(Json(body))
}
