//! The check of a model's answer against the contract's `[output]`: a
//! JSON document matching its JSON Schema, or text of at most so many
//! characters. What was wrong is said in words the model can act on (for
//! the re-ask) and a person can read (for the flag).

use prompt_preflight::{OutputFormat, OutputSpec};
use serde::Serialize;

/// A compiled output check.
pub struct OutputCheck {
    spec: OutputSpec,
    schema: Option<jsonschema::Validator>,
}

/// How an answer fared against the output check.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputVerdict {
    /// Whether the answer passed.
    pub ok: bool,
    /// What was wrong with the answer returned, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether the model was asked again after a first answer failed.
    pub reasked: bool,
    /// For a JSON contract, the answer parsed (without a Markdown fence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json: Option<serde_json::Value>,
    /// Set when the check did not run (a dry run has no answer to check).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
}

impl OutputVerdict {
    /// The answer passed (after a re-ask when `reasked`).
    pub fn passed(json: Option<serde_json::Value>, reasked: bool) -> OutputVerdict {
        OutputVerdict {
            ok: true,
            reason: None,
            reasked,
            json,
            skipped: None,
        }
    }

    /// The answer failed for `reason`.
    pub fn failed(reason: String, reasked: bool) -> OutputVerdict {
        OutputVerdict {
            ok: false,
            reason: Some(reason),
            reasked,
            json: None,
            skipped: None,
        }
    }

    /// The check did not run, for `why`.
    pub fn skipped(why: &str) -> OutputVerdict {
        OutputVerdict {
            ok: false,
            reason: None,
            reasked: false,
            json: None,
            skipped: Some(why.to_owned()),
        }
    }
}

/// The most validation errors named in one reason.
const MAX_ERRORS: usize = 3;

impl OutputCheck {
    /// Compiles `spec`; an invalid JSON Schema is the error, in words.
    pub fn new(spec: &OutputSpec) -> Result<OutputCheck, String> {
        let schema = match &spec.schema {
            Some(schema) => Some(
                jsonschema::validator_for(schema)
                    .map_err(|e| format!("the output schema is not a valid JSON Schema: {e}"))?,
            ),
            None => None,
        };
        Ok(OutputCheck {
            spec: spec.clone(),
            schema,
        })
    }

    /// Checks an answer: the parsed JSON for a JSON contract (`None` for
    /// text), or what is wrong with it.
    pub fn check(&self, text: &str) -> Result<Option<serde_json::Value>, String> {
        if let Some(max) = self.spec.max_chars {
            let chars = text.chars().count();
            if chars > max {
                return Err(format!(
                    "it has {chars} characters where at most {max} are allowed"
                ));
            }
        }
        if self.spec.format != OutputFormat::Json {
            return Ok(None);
        }
        let json: serde_json::Value = serde_json::from_str(unfenced(text))
            .map_err(|e| format!("it is not valid JSON ({e})"))?;
        if let Some(schema) = &self.schema {
            let errors: Vec<String> = schema
                .iter_errors(&json)
                .take(MAX_ERRORS)
                .map(|e| {
                    let at = e.instance_path().to_string();
                    if at.is_empty() {
                        e.to_string()
                    } else {
                        format!("at {at}, {e}")
                    }
                })
                .collect();
            if !errors.is_empty() {
                return Err(errors.join("; "));
            }
        }
        Ok(Some(json))
    }

    /// What a good answer is, for the re-ask: "one JSON document that
    /// matches this JSON Schema: {…}", "text of at most 2000 characters".
    pub fn wanted(&self) -> String {
        let mut wanted = match (self.spec.format, &self.spec.schema) {
            (OutputFormat::Json, Some(schema)) => {
                format!("one JSON document that matches this JSON Schema: {schema}")
            }
            (OutputFormat::Json, None) => "one JSON document".to_owned(),
            _ => "plain text".to_owned(),
        };
        if let Some(max) = self.spec.max_chars {
            wanted.push_str(&format!(", of at most {max} characters"));
        }
        if let Some(example) = &self.spec.example {
            wanted.push_str(&format!(" (for example: {example})"));
        }
        wanted
    }

    /// Whether a failed answer may be asked for once more.
    pub fn reask(&self) -> bool {
        self.spec.reask
    }
}

/// The text inside a Markdown code fence (```json … ```), or all of it.
fn unfenced(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let body = rest.split_once('\n').map_or("", |(_, b)| b);
    body.trim_end().strip_suffix("```").unwrap_or(body).trim()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(schema: serde_json::Value) -> OutputCheck {
        OutputCheck::new(&OutputSpec {
            format: OutputFormat::Json,
            schema: Some(schema),
            max_chars: None,
            reask: true,
            example: None,
        })
        .unwrap()
    }

    #[test]
    fn json_answers_are_unfenced_parsed_and_validated() {
        let c = check(
            json!({"type": "object", "required": ["summary"], "properties": {"summary": {"type": "string"}}}),
        );
        assert_eq!(
            c.check("```json\n{\"summary\": \"ok\"}\n```").unwrap(),
            Some(json!({"summary": "ok"}))
        );
        let why = c.check("{\"summary\": 3}").unwrap_err();
        assert!(why.contains("/summary") && why.contains("string"), "{why}");
        let why = c.check("{}").unwrap_err();
        assert!(why.contains("summary"), "{why}");
        assert!(c
            .check("Sure! Here it is")
            .unwrap_err()
            .starts_with("it is not valid JSON"));
    }

    #[test]
    fn text_answers_have_a_length_limit() {
        let c = OutputCheck::new(&OutputSpec {
            format: OutputFormat::Text,
            schema: None,
            max_chars: Some(5),
            reask: false,
            example: None,
        })
        .unwrap();
        assert_eq!(c.check("short").unwrap(), None);
        assert_eq!(
            c.check("too long").unwrap_err(),
            "it has 8 characters where at most 5 are allowed"
        );
    }

    #[test]
    fn an_invalid_schema_is_refused_in_words() {
        let e = OutputCheck::new(&OutputSpec {
            format: OutputFormat::Json,
            schema: Some(json!({"type": "no-such-type"})),
            max_chars: None,
            reask: true,
            example: None,
        })
        .err()
        .unwrap();
        assert!(
            e.starts_with("the output schema is not a valid JSON Schema"),
            "{e}"
        );
    }
}
