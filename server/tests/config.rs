//! `preflight.toml`, the environment and the flags make one `Config`:
//! flags win over the file, keys come from the environment only, and a
//! wrong file is refused with the field and what to do.

use prompt_preflight::Provider;
use prompt_preflight_server::config::{Overrides, ProviderLimits};
use prompt_preflight_server::{Config, ConfigError};
use std::path::PathBuf;
use std::time::Duration;

fn from(
    text: Option<&str>,
    overrides: Overrides,
    env: &[(&str, &str)],
) -> Result<Config, ConfigError> {
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_parts(
        overrides,
        text.map(|_| PathBuf::from("preflight.toml")),
        text,
        move |name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()),
    )
}

#[test]
fn nothing_configured_gives_the_defaults() {
    let config = from(None, Overrides::default(), &[]).unwrap();
    assert_eq!(config.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(
        (config.www.to_str(), config.pkg.to_str()),
        (Some("www"), Some("pkg"))
    );
    assert_eq!(config.contracts, None);
    assert!(config.limits.is_empty());
    assert_eq!(config.file, None);
    for provider in Provider::ALL {
        assert!(!config.providers.is_configured(provider));
    }
}

const FILE: &str = r#"
[server]
addr = "0.0.0.0:9000"
contracts = "my-contracts"

[providers]
connect_timeout_seconds = 2
timeout_seconds = 90.5

[providers.openai]
concurrency = 8
rpm = 500
tpm = 200_000

[providers.google]
rpm = 60
"#;

#[test]
fn the_file_sets_what_flags_do_not() {
    let overrides = Overrides {
        addr: Some("127.0.0.1:7000".parse().unwrap()),
        ..Overrides::default()
    };
    let config = from(
        Some(FILE),
        overrides,
        &[
            ("OPENAI_API_KEY", "sk-test"),
            ("OPENAI_BASE_URL", "http://127.0.0.1:1/v1/"),
        ],
    )
    .unwrap();
    assert_eq!(config.addr.to_string(), "127.0.0.1:7000", "the flag wins");
    assert_eq!(
        config.contracts,
        Some(PathBuf::from("my-contracts")),
        "the file fills in"
    );
    assert_eq!(config.providers.connect_timeout, Duration::from_secs(2));
    assert_eq!(config.providers.timeout, Duration::from_secs_f64(90.5));
    assert_eq!(
        config.limits[&Provider::Openai],
        ProviderLimits {
            concurrency: Some(8),
            rpm: Some(500),
            rps: None,
            tpm: Some(200_000)
        }
    );
    assert_eq!(
        config.limits[&Provider::Gemini].rpm,
        Some(60),
        "google is Gemini"
    );
    assert!(config.providers.is_configured(Provider::Openai));
    assert_eq!(
        config.providers.endpoint(Provider::Openai).base_url,
        "http://127.0.0.1:1/v1"
    );
    // The key is never shown.
    assert!(!format!("{config:?}").contains("sk-test"));
}

fn refusal(text: &str) -> String {
    from(Some(text), Overrides::default(), &[])
        .unwrap_err()
        .to_string()
}

#[test]
fn a_wrong_file_is_refused_with_the_field_and_the_fix() {
    let key = refusal("[providers.openai]\napi_key = \"sk-live\"\n");
    assert!(key.contains("providers.openai.api_key"), "{key}");
    assert!(
        key.contains("set OPENAI_API_KEY in the environment"),
        "{key}"
    );
    assert!(!key.contains("sk-live"), "the key is not echoed: {key}");

    let typo = refusal("[server]\nadress = \"127.0.0.1:1\"\n");
    assert!(typo.contains("adress") && typo.contains("line 2"), "{typo}");

    let provider = refusal("[providers.mistral]\nrpm = 5\n");
    assert!(
        provider.contains("providers.mistral") && provider.contains("openai, anthropic or gemini"),
        "{provider}"
    );

    let zero = refusal("[providers.anthropic]\nconcurrency = 0\n");
    assert!(zero.contains("above 0"), "{zero}");

    let timeout = refusal("[providers]\ntimeout_seconds = -1\n");
    assert!(timeout.contains("providers.timeout_seconds"), "{timeout}");

    let field = refusal("[providers.openai]\nrpn = 5\n");
    assert!(
        field.contains("providers.openai") && field.contains("rpn"),
        "{field}"
    );

    let broken = refusal("[server\n");
    assert!(
        broken.starts_with("the configuration preflight.toml is not valid"),
        "{broken}"
    );
}

#[test]
fn a_named_file_that_is_missing_is_an_error() {
    let error = Config::load(
        Overrides::default(),
        Some(std::path::Path::new("/nonexistent/preflight.toml")),
        |_| None,
    )
    .unwrap_err();
    assert!(matches!(error, ConfigError::Read { .. }));
    assert!(error.to_string().contains("/nonexistent/preflight.toml"));
}
