//! JavaScript bindings, built with `--features wasm` into `pkg/`.
//!
//! This file only translates types: JS values in, the same core calls the
//! server makes, JSON-compatible plain objects out.

use crate::{check, Contract, Encoding, Error, Input};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &str = r#"
export type Severity = "error" | "warning" | "info";
export type BudgetState = "ok" | "warn" | "over";
export type InputKind = "text" | "csv" | "unsupported";
export interface Location { sheet?: string; row?: number; column?: string; line?: number; }
export interface Issue {
  code: string; severity: Severity; message: string; hint: string;
  example?: string; at?: Location; count?: number;
}
export interface InputInfo {
  kind: InputKind; bytes: number; encoding: string; delimiter?: string;
  header_row?: number; headers?: string[]; rows?: number; columns?: number; lines?: number;
}
export interface TokenInfo {
  count: number; encoding: string; exact: boolean; limit: number;
  warn_at: number; tier: string; state: BudgetState;
}
export interface Report {
  ok: boolean; contract: { id: string; version: string };
  input: InputInfo; tokens: TokenInfo; issues: Issue[];
}
export interface TokenCount { count: number; exact: boolean; }
"#;

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    value
        .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| JsValue::from(js_sys::Error::new(&e.to_string())))
}

/// Turns a core error into a JS `Error` with `code` (and `field`) set.
fn js_error(error: Error) -> JsValue {
    let js = js_sys::Error::new(&error.to_string());
    let _ = js_sys::Reflect::set(&js, &"code".into(), &error.code().into());
    if let Some(field) = error.field() {
        let _ = js_sys::Reflect::set(&js, &"field".into(), &field.into());
    }
    js.into()
}

/// A contract loaded for checking, the browser's handle on the core.
#[wasm_bindgen]
pub struct Preflight {
    contract: Contract,
}

#[wasm_bindgen]
impl Preflight {
    /// Parses and validates a contract (TOML or JSON text).
    #[wasm_bindgen(constructor)]
    pub fn new(source: &str) -> Result<Preflight, JsValue> {
        Contract::parse(source)
            .map(|contract| Preflight { contract })
            .map_err(js_error)
    }

    /// The contract as a plain object.
    #[wasm_bindgen(getter)]
    pub fn contract(&self) -> Result<JsValue, JsValue> {
        to_js(&self.contract)
    }

    /// Checks typed text; `tier` defaults to the contract's default tier.
    #[wasm_bindgen(js_name = checkText, unchecked_return_type = "Report")]
    pub fn check_text(&self, tier: Option<String>, text: &str) -> Result<JsValue, JsValue> {
        let checked =
            check(&self.contract, tier.as_deref(), &Input::Text(text)).map_err(js_error)?;
        to_js(&checked.report)
    }

    /// Checks a file's bytes; the name is only a hint.
    #[wasm_bindgen(js_name = checkFile, unchecked_return_type = "Report")]
    pub fn check_file(
        &self,
        tier: Option<String>,
        name: Option<String>,
        bytes: &[u8],
    ) -> Result<JsValue, JsValue> {
        let input = Input::File {
            name: name.as_deref(),
            bytes,
        };
        let checked = check(&self.contract, tier.as_deref(), &input).map_err(js_error)?;
        to_js(&checked.report)
    }
}

/// Counts the tokens of `text` with an encoding (`o200k_base` or `cl100k_base`).
#[wasm_bindgen(js_name = countTokens, unchecked_return_type = "TokenCount")]
pub fn count_tokens(text: &str, encoding: &str) -> Result<JsValue, JsValue> {
    let counted = Encoding::from_name(encoding).map_err(js_error)?.count(text);
    #[derive(Serialize)]
    struct Out {
        count: u64,
        exact: bool,
    }
    to_js(&Out {
        count: counted.count,
        exact: counted.exact,
    })
}

/// Every issue code with its severity, title, hint and example.
#[wasm_bindgen]
pub fn catalogue() -> Result<JsValue, JsValue> {
    to_js(&crate::messages::catalogue())
}
