//! `preflight keys create --user U --tier T [--admin]`, `preflight keys
//! revoke KEY_ID`, `preflight keys list`: the API keys in the database
//! (`DATABASE_URL`, else `[storage] database_url` in preflight.toml, else
//! SQLite under ./data/). A new key is printed once; only its hash is kept.

use super::CliError;
use crate::config::{Config, Overrides};
use crate::store::Store;
use crate::Registry;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args)]
pub(super) struct Args {
    #[command(subcommand)]
    action: Action,
    /// The configuration file; without it, ./preflight.toml if it exists.
    #[arg(long, env = "PREFLIGHT_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Directory of contract files whose tiers a key may name; without it,
    /// the built-in contracts'.
    #[arg(long, env = "PREFLIGHT_CONTRACTS", global = true)]
    contracts: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum Action {
    /// Make a key for a user (created if new) on a tier, and print it once.
    Create {
        /// The user's name.
        #[arg(long)]
        user: String,
        /// The user's tier: a tier the contracts declare (e.g. free, paid).
        #[arg(long)]
        tier: String,
        /// An operator key, which opens /v1/admin/*.
        #[arg(long)]
        admin: bool,
    },
    /// Revoke a key by its id (the `pp_…` prefix `list` shows) or the key itself.
    Revoke {
        /// The key's id or the key.
        key: String,
    },
    /// List the keys (never the keys themselves).
    List,
}

pub(super) fn run(args: Args) -> Result<ExitCode, CliError> {
    let config = Config::load(Overrides::default(), args.config.as_deref(), |name| {
        std::env::var(name).ok()
    })?;
    let contracts = args.contracts.or(config.contracts.clone());
    let registry = match &contracts {
        Some(dir) => Registry::load_dir(dir)?,
        None => Registry::builtin(),
    };
    let runtime = tokio::runtime::Runtime::new().map_err(|source| CliError::Io {
        what: "cannot start the async runtime".into(),
        source,
    })?;
    runtime.block_on(async move {
        let store = Store::open(&config.database_url).await?;
        match args.action {
            Action::Create { user, tier, admin } => {
                let mut tiers: Vec<&str> = registry
                    .iter()
                    .flat_map(|c| c.tiers.keys().map(String::as_str))
                    .collect();
                tiers.sort();
                tiers.dedup();
                if !tiers.contains(&tier.as_str()) {
                    return Err(CliError::Unreadable(format!(
                        "no contract has a tier `{tier}`; the tiers are: {}",
                        tiers.join(", ")
                    )));
                }
                let key = store.create_key(&user, &tier, admin).await?;
                println!("{}", key.secret);
                eprintln!(
                    "Key {} for {user} on the {tier} tier{}. It is shown only now: keep it safe.",
                    key.id,
                    if admin { " (operator)" } else { "" }
                );
            }
            Action::Revoke { key } => {
                if store.revoke_key(&key).await? {
                    eprintln!("Revoked {key}: requests with it now get 401.");
                } else {
                    return Err(CliError::Unreadable(format!(
                        "no active key `{key}` (`preflight keys list` shows them)"
                    )));
                }
            }
            Action::List => {
                for k in store.keys().await? {
                    let state = if k.revoked_ms.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!(
                        "{}\t{}\t{}\t{}{}",
                        k.id,
                        k.user_name,
                        k.tier,
                        state,
                        if k.admin { "\tadmin" } else { "" }
                    );
                }
            }
        }
        Ok(ExitCode::SUCCESS)
    })
}
