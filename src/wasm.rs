//! JavaScript bindings, built with `--features wasm` into `pkg/`.
//!
//! This file only translates types: JS values in, the same core calls the
//! server makes, JSON-compatible plain objects out.

use crate::{check, Contract, Edit, Encoding, Error, Input, LiveCheck};
#[cfg(feature = "readers")]
use crate::{prepare, PrepareOptions};
use serde::Serialize;
use wasm_bindgen::prelude::*;

// The types the functions below return are declared by `#[derive(Tsify)]`
// on the Rust types themselves (e.g. `Report`, `TokenInfo`, `Prepared`), so
// the package's .d.ts cannot drift from what is sent. These are only names
// the package used before, kept for its users.
#[wasm_bindgen(typescript_custom_section)]
const TS_ALIASES: &str = r#"
/** The mode of `prepareText` and `prepareFile` (the Rust type `Mode`). */
export type PrepareMode = Mode;
/** One step of a manifest (the Rust type `Step`). */
export type ManifestStep = Step;
"#;

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))
}

/// Turns a core error into a JS `Error` with `code` (and `field`) set.
fn js_error(error: Error) -> JsValue {
    coded_error(&error.to_string(), error.code(), error.field())
}

/// A JS `Error` with a stable `code` (and the contract `field`, if any).
fn coded_error(message: &str, code: &str, field: Option<&str>) -> JsValue {
    let js = js_sys::Error::new(message);
    let _ = js_sys::Reflect::set(&js, &"code".into(), &code.into());
    if let Some(field) = field {
        let _ = js_sys::Reflect::set(&js, &"field".into(), &field.into());
    }
    js.into()
}

/// Runs `work`, calling `on_progress` (if any) with each `Progress` it
/// reports. An exception thrown by the callback is ignored: progress never
/// stops the work.
#[cfg(feature = "readers")]
fn reporting<R>(on_progress: Option<js_sys::Function>, work: impl FnOnce() -> R) -> R {
    match on_progress {
        Some(callback) => crate::with_progress(
            move |progress| {
                if let Ok(value) = to_js(progress) {
                    let _ = callback.call1(&JsValue::NULL, &value);
                }
            },
            work,
        ),
        None => work(),
    }
}

/// A contract loaded for checking, the browser's handle on the core.
#[wasm_bindgen]
pub struct Preflight {
    contract: Contract,
}

#[wasm_bindgen]
impl Preflight {
    /// Parses and validates a contract: JSON, or TOML (which the meter
    /// module leaves to the full module: `await loadFull()` first).
    #[wasm_bindgen(constructor)]
    pub fn new(source: &str) -> Result<Preflight, JsValue> {
        Contract::parse(source)
            .map(|contract| Preflight { contract })
            .map_err(js_error)
    }

    /// The contract as a plain object.
    #[wasm_bindgen(getter, unchecked_return_type = "Contract")]
    pub fn contract(&self) -> Result<JsValue, JsValue> {
        to_js(&self.contract)
    }

    /// The encoding whose tokenizer this contract needs (load it with
    /// `installTokenizer` before counting).
    #[wasm_bindgen(getter)]
    pub fn encoding(&self) -> Result<String, JsValue> {
        let model = self.contract.model.info().map_err(js_error)?;
        Ok(model.encoding.name().to_owned())
    }

    /// A live token meter for text typed into this contract's template on
    /// `tier`. Needs the tokenizer to be installed.
    pub fn meter(&self, tier: Option<String>) -> Result<PreflightMeter, JsValue> {
        LiveCheck::new(&self.contract, tier.as_deref())
            .map(|live| PreflightMeter { live })
            .map_err(js_error)
    }

    /// Whether this module can check typed text for this contract
    /// completely (see `checks_text_fully`).
    #[wasm_bindgen(getter, js_name = checksTextFully)]
    pub fn checks_text_fully(&self) -> bool {
        crate::checks_text_fully(&self.contract)
    }

    /// Checks typed text; `tier` defaults to the contract's default tier.
    #[wasm_bindgen(js_name = checkText, unchecked_return_type = "Report")]
    pub fn check_text(&self, tier: Option<String>, text: &str) -> Result<JsValue, JsValue> {
        let checked =
            check(&self.contract, tier.as_deref(), &Input::Text(text)).map_err(js_error)?;
        to_js(&checked.report)
    }
}

/// What only the full module has: files, and preparing.
#[cfg(feature = "readers")]
#[wasm_bindgen]
impl Preflight {
    /// Checks a file's bytes; the name is only a hint.
    #[wasm_bindgen(js_name = checkFile, unchecked_return_type = "Report")]
    pub fn check_file(
        &self,
        tier: Option<String>,
        name: Option<String>,
        bytes: &[u8],
        #[wasm_bindgen(js_name = onProgress, unchecked_optional_param_type = "(progress: Progress) => void")]
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        let input = Input::File {
            name: name.as_deref(),
            bytes,
        };
        let checked = reporting(on_progress, || {
            check(&self.contract, tier.as_deref(), &input)
        })
        .map_err(js_error)?;
        to_js(&checked.report)
    }

    /// Prepares typed text: trims it, and keeps the most relevant
    /// sections or splits it as `options.mode` says.
    #[wasm_bindgen(js_name = prepareText, unchecked_return_type = "Prepared")]
    pub fn prepare_text(
        &self,
        tier: Option<String>,
        text: &str,
        #[wasm_bindgen(unchecked_param_type = "PrepareOptions | undefined")] options: JsValue,
        #[wasm_bindgen(js_name = onProgress, unchecked_optional_param_type = "(progress: Progress) => void")]
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        self.prepare(tier, &Input::Text(text), options, on_progress)
    }

    /// Prepares a file's bytes; the name is only a hint.
    #[wasm_bindgen(js_name = prepareFile, unchecked_return_type = "Prepared")]
    pub fn prepare_file(
        &self,
        tier: Option<String>,
        name: Option<String>,
        bytes: &[u8],
        #[wasm_bindgen(unchecked_param_type = "PrepareOptions | undefined")] options: JsValue,
        #[wasm_bindgen(js_name = onProgress, unchecked_optional_param_type = "(progress: Progress) => void")]
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        let input = Input::File {
            name: name.as_deref(),
            bytes,
        };
        self.prepare(tier, &input, options, on_progress)
    }

    /// `checkFile` again after the instance that ran it trapped: the
    /// guarded reader calls numbered `calls` (read from the trapped
    /// instances' traces) fail as they do natively, so the report is the
    /// server's. Used by the package's recovery, not by pages.
    #[wasm_bindgen(js_name = checkFileAfterCrash, unchecked_return_type = "Report")]
    pub fn check_file_after_crash(
        &self,
        tier: Option<String>,
        name: Option<String>,
        bytes: &[u8],
        calls: Vec<u32>,
        #[wasm_bindgen(js_name = onProgress, unchecked_optional_param_type = "(progress: Progress) => void")]
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        crate::ingest::replaying_crashes(&calls, || self.check_file(tier, name, bytes, on_progress))
    }

    /// `prepareFile` again after a trap, as [`Preflight::check_file_after_crash`].
    #[wasm_bindgen(js_name = prepareFileAfterCrash, unchecked_return_type = "Prepared")]
    pub fn prepare_file_after_crash(
        &self,
        tier: Option<String>,
        name: Option<String>,
        bytes: &[u8],
        #[wasm_bindgen(unchecked_param_type = "PrepareOptions | undefined")] options: JsValue,
        calls: Vec<u32>,
        #[wasm_bindgen(js_name = onProgress, unchecked_optional_param_type = "(progress: Progress) => void")]
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        crate::ingest::replaying_crashes(&calls, || {
            self.prepare_file(tier, name, bytes, options, on_progress)
        })
    }

    fn prepare(
        &self,
        tier: Option<String>,
        input: &Input<'_>,
        options: JsValue,
        on_progress: Option<js_sys::Function>,
    ) -> Result<JsValue, JsValue> {
        let options: PrepareOptions = if options.is_undefined() || options.is_null() {
            PrepareOptions::default()
        } else {
            serde_wasm_bindgen::from_value(options).map_err(|e| {
                coded_error(&format!("invalid options: {e}"), "invalid_options", None)
            })?
        };
        let prepared = reporting(on_progress, || {
            prepare(&self.contract, tier.as_deref(), input, &options)
        })
        .map_err(js_error)?;
        to_js(&prepared)
    }
}

/// A live token count of a document being typed: edits in, the report's
/// `tokens` section out, recounting only around the edit.
#[wasm_bindgen]
pub struct PreflightMeter {
    live: LiveCheck,
}

#[wasm_bindgen]
impl PreflightMeter {
    /// Checks the text in full now (as `checkText`) and keeps the report:
    /// `report` then brings it up to date at every edit.
    #[wasm_bindgen(unchecked_return_type = "Report")]
    pub fn check(&mut self) -> Result<JsValue, JsValue> {
        let report = self.live.check().map_err(js_error)?;
        to_js(&report)
    }

    /// The last full check brought up to date with the text as it is now
    /// (its size and emptiness from the meter): the one verdict to show
    /// while the user types. `undefined` before the first `check`.
    #[wasm_bindgen(getter, unchecked_return_type = "Report | undefined")]
    pub fn report(&self) -> Result<JsValue, JsValue> {
        match self.live.report() {
            Some(report) => to_js(&report),
            None => Ok(JsValue::UNDEFINED),
        }
    }
    /// Replaces the whole text (recounting only what changed). Returns
    /// the `tokens` section and the size issues (over or near the limit).
    #[wasm_bindgen(js_name = setText, unchecked_return_type = "MeterReading")]
    pub fn set_text(&mut self, text: &str) -> Result<JsValue, JsValue> {
        to_js(&self.live.set_text(text))
    }

    /// Replaces UTF-16 units `start..end` with `text`.
    #[wasm_bindgen(unchecked_return_type = "MeterReading")]
    pub fn edit(&mut self, start: usize, end: usize, text: String) -> Result<JsValue, JsValue> {
        to_js(&self.live.edit(&Edit { start, end, text }))
    }

    /// The current reading.
    #[wasm_bindgen(getter, unchecked_return_type = "MeterReading")]
    pub fn reading(&self) -> Result<JsValue, JsValue> {
        to_js(&self.live.reading())
    }

    /// Makes the offers exact for the current text (long texts are not
    /// trimmed at every edit): call it when typing pauses.
    #[wasm_bindgen(unchecked_return_type = "MeterReading")]
    pub fn settle(&mut self) -> Result<JsValue, JsValue> {
        to_js(&self.live.settle())
    }

    /// The UTF-16 length of the text (to check edits are in step).
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.live.text().encode_utf16().count()
    }

    /// The text being counted.
    #[wasm_bindgen(getter)]
    pub fn text(&self) -> String {
        self.live.text().to_owned()
    }
}

/// Installs a tokenizer from its vocabulary file (`o200k_base.bin` or
/// `cl100k_base.bin`, shipped next to this module) and returns its
/// encoding name. Counts are upper-bound estimates until it is installed.
#[wasm_bindgen(js_name = installTokenizer)]
pub fn install_tokenizer(bytes: &[u8]) -> Result<String, JsValue> {
    crate::install(bytes)
        .map(|e| e.name().to_owned())
        .map_err(|e| coded_error(&e.to_string(), e.code(), None))
}

/// Whether the tokenizer for `encoding` is installed.
#[wasm_bindgen(js_name = tokenizerReady)]
pub fn tokenizer_ready(encoding: &str) -> Result<bool, JsValue> {
    Ok(Encoding::from_name(encoding)
        .map_err(js_error)?
        .tokenizer()
        .is_some())
}

/// Counts the tokens of `text` with an encoding (`o200k_base` or `cl100k_base`).
#[wasm_bindgen(js_name = countTokens, unchecked_return_type = "TokenCount")]
pub fn count_tokens(text: &str, encoding: &str) -> Result<JsValue, JsValue> {
    to_js(&Encoding::from_name(encoding).map_err(js_error)?.count(text))
}

/// Whether `text` is within `limit` tokens, stopping as soon as that is
/// known: `{ within, count }`, where `count` is exact when within and a
/// lower bound (more than `limit`) when not. `count` is `null` when the
/// tokenizer is not installed.
#[wasm_bindgen(js_name = withinTokenLimit, unchecked_return_type = "LimitCheck")]
pub fn within_token_limit(text: &str, encoding: &str, limit: f64) -> Result<JsValue, JsValue> {
    let encoding = Encoding::from_name(encoding).map_err(js_error)?;
    let limit = if limit.is_finite() && limit > 0.0 {
        limit as u64
    } else {
        0
    };
    to_js(&encoding.check_limit(text, limit))
}

#[cfg(feature = "readers")]
/// The address of the reader guard's trace in this module's memory: two
/// `u32`s, the guarded reader calls begun for the current input and the
/// one running (0 when none is). The package reads it from the memory of
/// an instance that trapped (see `ingest::Trace`).
#[wasm_bindgen(js_name = readerTraceAddress)]
pub fn reader_trace_address() -> usize {
    crate::ingest::trace_address()
}

#[cfg(feature = "readers")]
/// For tests only: whether the pre-scans may refuse a file before its
/// reader sees it (see `ingest::without_prescans`).
#[wasm_bindgen(js_name = __setPrescans)]
pub fn set_prescans(enabled: bool) {
    crate::ingest::set_prescans(enabled)
}

/// Every issue code with its severity, title, hint and example.
#[wasm_bindgen(unchecked_return_type = "CatalogueEntry[]")]
pub fn catalogue() -> Result<JsValue, JsValue> {
    to_js(&crate::messages::catalogue())
}
