//! The "Output" section: the answer's format, its schema, an example, the
//! instructions the model is given, and what happens when a call fails or
//! an answer is cut off.

use super::markdown::{code, fenced, item};
use super::Page;
use crate::contract::{OnTruncated, OutputFormat};
use crate::messages::group_digits;
use serde_json::{Map, Value};

/// The "Output" section.
pub(super) fn section(page: &Page<'_>) -> String {
    let contract = page.contract;
    let spec = contract.output.as_ref();
    let format = spec.map_or(OutputFormat::Text, |s| s.format);
    let mut out = String::from("## Output\n\n");
    out.push_str(&item(match (format, spec) {
        (OutputFormat::Json, _) => {
            "**Format:** one JSON document (a fenced `json` code block around it is accepted)."
        }
        (_, Some(_)) => "**Format:** plain text.",
        (_, None) => "**Format:** plain text. The answer is not checked.",
    }));
    if let Some(spec) = spec {
        if let Some(max) = spec.max_chars {
            out.push_str(&item(&format!(
                "**Length:** at most {} characters.",
                group_digits(max as u64)
            )));
        }
        out.push_str(&item(if spec.reask {
            "**Checked:** an answer that fails the check is asked for once more, with what was wrong; the tokens of that second request count too."
        } else {
            "**Checked:** an answer that fails the check is returned as failed, without asking again."
        }));
    }
    let per_tier: Vec<String> = page
        .tiers
        .iter()
        .map(|&(name, tier)| {
            format!(
                "{} on the {name} plan",
                group_digits(page.output_tokens(tier))
            )
        })
        .collect();
    out.push_str(&item(&format!(
        "**Answer tokens:** at most {}.",
        per_tier.join(", ")
    )));
    let recovery = &contract.recovery;
    out.push_str(&item(&match recovery.on_truncated {
        OnTruncated::Continue => format!(
            "**Cut-off answers:** the model is asked to continue where it stopped (up to {} more times), and the pieces are joined.",
            recovery.max_continuations
        ),
        OnTruncated::Shorter => {
            "**Cut-off answers:** the model is asked again for a shorter answer that fits.".into()
        }
        OnTruncated::Flag => "**Cut-off answers:** returned as they came, flagged as cut off.".into(),
    }));
    if !recovery.fallbacks.is_empty() {
        let models: Vec<String> = recovery.fallbacks.iter().map(|m| code(m)).collect();
        out.push_str(&item(&format!(
            "**Fallbacks:** when {} is down, rate limited past the deadline, or the request is too long for it, \
             these models are tried in order, where the server can reach them: {}.",
            code(&contract.model.name),
            models.join(", ")
        )));
    }

    if let Some(prompt) = &contract.prompt {
        out.push_str("\n### Instructions to the model\n\n");
        if let Some(system) = &prompt.system {
            out.push_str(&format!("System message:\n\n{}", fenced("text", system)));
        }
        if let Some(template) = &prompt.template {
            if prompt.system.is_some() {
                out.push('\n');
            }
            out.push_str(&format!(
                "User message ({} is replaced by your input):\n\n{}",
                code(crate::INPUT_PLACEHOLDER),
                fenced("text", template)
            ));
        }
    }

    if let Some(schema) = spec.and_then(|s| s.schema.as_ref()) {
        out.push_str("\n### Schema\n\n");
        out.push_str(&fenced("json", &pretty(schema)));
    }

    out.push_str("\n### Example output\n\n");
    let language = match format {
        OutputFormat::Json => "json",
        _ => "text",
    };
    match (
        spec.and_then(|s| s.example.as_deref()),
        spec.and_then(|s| s.schema.as_ref()),
    ) {
        (Some(example), _) => {
            let shown = match format {
                OutputFormat::Json => serde_json::from_str::<Value>(example)
                    .map(|v| pretty(&v))
                    .unwrap_or_else(|_| example.to_owned()),
                _ => example.to_owned(),
            };
            out.push_str(&fenced(language, &shown));
        }
        (None, Some(schema)) => {
            out.push_str("Made from the schema; the values are placeholders.\n\n");
            out.push_str(&fenced("json", &pretty(&example(schema, 0))));
        }
        (None, None) => {
            out.push_str(
                "This contract declares no example answer. The answer is written as the instructions above ask",
            );
            out.push_str(match format {
                OutputFormat::Json => ", as one JSON document.\n",
                _ => ", in plain text.\n",
            });
        }
    }
    out
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|_| value.to_string())
}

/// How deep the example follows nested schemas (and so never loops).
const MAX_DEPTH: usize = 8;

/// A value shaped like `schema`: its own example, const, default or first
/// enum value where it gives one, otherwise a placeholder of its type.
/// References (`$ref`) are not followed.
fn example(schema: &Value, depth: usize) -> Value {
    let Some(schema) = schema.as_object() else {
        return Value::Null;
    };
    let first = |key: &str| schema.get(key).and_then(|v| v.as_array()?.first().cloned());
    if let Some(v) = first("examples")
        .or_else(|| schema.get("example").cloned())
        .or_else(|| schema.get("const").cloned())
        .or_else(|| schema.get("default").cloned())
        .or_else(|| first("enum"))
    {
        return v;
    }
    if depth >= MAX_DEPTH {
        return Value::Null;
    }
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(sub) = first(key) {
            return example(&sub, depth + 1);
        }
    }
    let kind = match schema.get("type") {
        Some(Value::String(t)) => Some(t.as_str()),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .find(|t| *t != "null"),
        _ if schema.contains_key("properties") => Some("object"),
        _ if schema.contains_key("items") => Some("array"),
        _ => None,
    };
    match kind {
        Some("object") => {
            let mut object = Map::new();
            if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
                for (name, sub) in properties {
                    object.insert(name.clone(), example(sub, depth + 1));
                }
            }
            Value::Object(object)
        }
        Some("array") => match schema.get("items") {
            Some(items) => Value::Array(vec![example(items, depth + 1)]),
            None => Value::Array(Vec::new()),
        },
        Some("string") => Value::String(
            match schema.get("format").and_then(Value::as_str) {
                Some("date") => "2024-03-15",
                Some("date-time") => "2024-03-15T10:00:00Z",
                Some("email") => "ada@example.com",
                Some("uri") => "https://example.com/",
                _ => "string",
            }
            .into(),
        ),
        Some("integer") | Some("number") => Value::from(0),
        Some("boolean") => Value::Bool(true),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn examples_follow_the_schema() {
        let schema = json!({
            "type": "object",
            "properties": {
                "summary": { "type": "string" },
                "tone": { "enum": ["calm", "urgent"] },
                "points": { "type": "array", "items": { "type": "integer" } },
                "when": { "type": ["string", "null"], "format": "date" },
                "score": { "type": "number", "examples": [0.5] },
                "next": { "$ref": "#/$defs/next" }
            }
        });
        assert_eq!(
            example(&schema, 0),
            json!({
                "summary": "string",
                "tone": "calm",
                "points": [0],
                "when": "2024-03-15",
                "score": 0.5,
                "next": null
            })
        );
    }

    #[test]
    fn deep_schemas_end() {
        let mut schema = json!({ "type": "string" });
        for _ in 0..20 {
            schema = json!({ "type": "array", "items": schema });
        }
        let mut value = example(&schema, 0);
        let mut depth = 0;
        while let Value::Array(items) = value {
            value = items.into_iter().next().unwrap();
            depth += 1;
        }
        assert_eq!((depth, value), (MAX_DEPTH, Value::Null));
    }
}
