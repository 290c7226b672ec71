//! What a new version of a contract breaks for the callers of an earlier
//! one, computed from the two contracts rather than taken from a flag:
//! inputs it no longer accepts (a new required column, a narrowed type, a
//! language or a kind of input dropped), output a caller can no longer rely
//! on (a field removed or renamed, its type changed, no longer required,
//! another format), and smaller allowances (a tier removed, a limit
//! lowered). Widening is never breaking: a new optional column, a wider
//! type, a new output field, a higher limit.
//!
//! ```
//! use prompt_preflight::contract::incompatibilities;
//! use prompt_preflight::Contract;
//!
//! let v1 = Contract::parse(include_str!("../../contracts/customer-list/1.0.0.toml")).unwrap();
//! let mut v2 = v1.clone();
//! v2.tiers.get_mut("free").unwrap().max_input_tokens /= 2;
//! let found = incompatibilities(&v1, &v2);
//! assert_eq!(found[0].kind, "tier_limit_reduced");
//! assert!(incompatibilities(&v1, &v1).is_empty());
//! ```

use super::{ColumnSpec, ColumnType, Contract, OutputFormat, Tier};
use serde::Serialize;
use serde_json::Value;

/// One change a caller of the earlier version has to adapt to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct Incompatibility {
    /// What kind of change, in stable snake_case: `text_no_longer_accepted`,
    /// `table_no_longer_accepted`, `required_column_added`,
    /// `column_now_required`, `column_type_narrowed`,
    /// `column_values_narrowed`, `languages_narrowed`,
    /// `output_format_changed`, `output_field_removed`,
    /// `output_field_type_changed`, `output_field_no_longer_required`,
    /// `tier_removed`, `tier_limit_reduced`.
    pub kind: &'static str,
    /// Where: a column, an output field (`/` between nested names), a tier
    /// or `tier.limit`.
    pub at: String,
    /// The change, in words.
    pub message: String,
}

fn found(kind: &'static str, at: impl Into<String>, message: String) -> Incompatibility {
    Incompatibility {
        kind,
        at: at.into(),
        message,
    }
}

/// Every change from `old` to `new` that breaks a caller of `old`, in the
/// order: input, output, tiers. Empty when `new` is compatible.
pub fn incompatibilities(old: &Contract, new: &Contract) -> Vec<Incompatibility> {
    let mut out = Vec::new();
    inputs(old, new, &mut out);
    output(old, new, &mut out);
    tiers(&old.tiers, &new.tiers, &mut out);
    out
}

fn inputs(old: &Contract, new: &Contract, out: &mut Vec<Incompatibility>) {
    if old.input.text && !new.input.text {
        out.push(found(
            "text_no_longer_accepted",
            "input.text",
            "typed or pasted text is no longer accepted".into(),
        ));
    }
    if !new.input.languages.is_empty() {
        let dropped: Vec<&str> = if old.input.languages.is_empty() {
            vec!["any language"]
        } else {
            old.input
                .languages
                .iter()
                .filter(|l| {
                    !new.input
                        .languages
                        .iter()
                        .any(|n| n.eq_ignore_ascii_case(l))
                })
                .map(String::as_str)
                .collect()
        };
        if !dropped.is_empty() {
            out.push(found(
                "languages_narrowed",
                "input.languages",
                format!(
                    "input in {} is no longer accepted (now only {})",
                    dropped.join(", "),
                    new.input.languages.join(", ")
                ),
            ));
        }
    }
    let (Some(old_table), new_table) = (&old.input.table, &new.input.table) else {
        // No table before: any required column of a new one only applies
        // to a kind of input callers could not send.
        return;
    };
    let Some(new_table) = new_table else {
        out.push(found(
            "table_no_longer_accepted",
            "input.table",
            "tables (CSV, spreadsheets, JSON records) are no longer accepted".into(),
        ));
        return;
    };
    for column in &new_table.columns {
        let before = old_table.columns.iter().find(|c| {
            c.names()
                .any(|n| column.names().any(|m| m.eq_ignore_ascii_case(n)))
        });
        match before {
            None if column.required => out.push(found(
                "required_column_added",
                &column.name,
                format!("a new required column `{}`", column.name),
            )),
            Some(b) if column.required && !b.required => out.push(found(
                "column_now_required",
                &column.name,
                format!("the column `{}` is now required", column.name),
            )),
            _ => {}
        }
        if let Some(b) = before {
            narrowed(b, column, out);
        }
    }
}

/// Whether values of `from` are all still values of `to`.
fn widens(from: ColumnType, to: ColumnType) -> bool {
    from == to
        || to == ColumnType::String
        || (from == ColumnType::Integer && to == ColumnType::Number)
}

fn narrowed(old: &ColumnSpec, new: &ColumnSpec, out: &mut Vec<Incompatibility>) {
    let name = &new.name;
    let mut why: Vec<String> = Vec::new();
    if !widens(old.kind, new.kind) {
        why.push(format!("its type is now {:?}, was {:?}", new.kind, old.kind).to_lowercase());
    }
    if let (Some(n), o) = (new.max_length, old.max_length) {
        if o.is_none_or(|o| n < o) {
            why.push(format!("at most {n} characters"));
        }
    }
    if let (Some(n), o) = (new.min, old.min) {
        if o.is_none_or(|o| n > o) {
            why.push(format!("at least {n}"));
        }
    }
    if let (Some(n), o) = (new.max, old.max) {
        if o.is_none_or(|o| n < o) {
            why.push(format!("at most {n}"));
        }
    }
    if new.pattern.is_some() && new.pattern != old.pattern {
        why.push("a new pattern its values must match".into());
    }
    if !why.is_empty() {
        out.push(found(
            "column_type_narrowed",
            name,
            format!("the column `{name}` accepts less: {}", why.join("; ")),
        ));
    }
    if new.kind == ColumnType::Enum {
        let dropped: Vec<&str> = if old.kind == ColumnType::Enum {
            old.values
                .iter()
                .filter(|v| !new.values.contains(v))
                .map(String::as_str)
                .collect()
        } else {
            Vec::new()
        };
        if !dropped.is_empty() {
            out.push(found(
                "column_values_narrowed",
                name,
                format!(
                    "the column `{name}` no longer accepts {}",
                    dropped.join(", ")
                ),
            ));
        }
    }
}

fn output(old: &Contract, new: &Contract, out: &mut Vec<Incompatibility>) {
    let format = |c: &Contract| c.output.as_ref().map_or(OutputFormat::Text, |o| o.format);
    if format(old) != format(new) {
        out.push(found(
            "output_format_changed",
            "output.format",
            format!("the answer is now {:?}, was {:?}", format(new), format(old)).to_lowercase(),
        ));
        return;
    }
    let schema = |c: &Contract| c.output.as_ref().and_then(|o| o.schema.clone());
    if let (Some(o), Some(n)) = (schema(old), schema(new)) {
        fields(&o, &n, "", out);
    }
}

/// Compares the properties of two JSON Schema objects, recursively.
fn fields(old: &Value, new: &Value, path: &str, out: &mut Vec<Incompatibility>) {
    let props = |v: &Value| {
        v.get("properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let required = |v: &Value| -> Vec<String> {
        v.get("required")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (old_props, new_props) = (props(old), props(new));
    let new_required = required(new);
    for (name, before) in &old_props {
        let at = if path.is_empty() {
            name.clone()
        } else {
            format!("{path}/{name}")
        };
        let Some(after) = new_props.get(name) else {
            out.push(found(
                "output_field_removed",
                &at,
                format!("the answer no longer has the field `{at}` (removed or renamed)"),
            ));
            continue;
        };
        let kind = |v: &Value| v.get("type").cloned();
        if kind(before).is_some() && kind(before) != kind(after) {
            out.push(found(
                "output_field_type_changed",
                &at,
                format!(
                    "the field `{at}` is now {}, was {}",
                    kind(after).map_or("untyped".into(), |t| t.to_string()),
                    kind(before).map_or("untyped".into(), |t| t.to_string())
                ),
            ));
            continue;
        }
        if required(old).contains(name) && !new_required.contains(name) {
            out.push(found(
                "output_field_no_longer_required",
                &at,
                format!("the field `{at}` may now be missing from the answer"),
            ));
        }
        fields(before, after, &at, out);
        if let (Some(b), Some(a)) = (before.get("items"), after.get("items")) {
            fields(b, a, &format!("{at}[]"), out);
        }
    }
}

fn tiers(
    old: &std::collections::BTreeMap<String, Tier>,
    new: &std::collections::BTreeMap<String, Tier>,
    out: &mut Vec<Incompatibility>,
) {
    for (name, before) in old {
        let Some(after) = new.get(name) else {
            out.push(found(
                "tier_removed",
                name,
                format!("the plan `{name}` no longer exists"),
            ));
            continue;
        };
        let limits: [(&str, Option<f64>, Option<f64>); 6] = [
            (
                "max_input_tokens",
                Some(before.max_input_tokens as f64),
                Some(after.max_input_tokens as f64),
            ),
            (
                "max_output_tokens",
                before.max_output_tokens.map(|n| n as f64),
                after.max_output_tokens.map(|n| n as f64),
            ),
            (
                "monthly_tokens",
                before.monthly_tokens.map(|n| n as f64),
                after.monthly_tokens.map(|n| n as f64),
            ),
            (
                "requests_per_minute",
                before.requests_per_minute.map(|n| n as f64),
                after.requests_per_minute.map(|n| n as f64),
            ),
            (
                "tokens_per_minute",
                before.tokens_per_minute.map(|n| n as f64),
                after.tokens_per_minute.map(|n| n as f64),
            ),
            (
                "monthly_spend_usd",
                before.monthly_spend_usd,
                after.monthly_spend_usd,
            ),
        ];
        for (limit, was, now) in limits {
            // A limit that appears where there was none is smaller too.
            let smaller = match (was, now) {
                (Some(w), Some(n)) => n < w,
                (None, Some(_)) => limit != "max_output_tokens",
                _ => false,
            };
            if smaller {
                let words = |v: Option<f64>| v.map_or("no limit".into(), |v| v.to_string());
                out.push(found(
                    "tier_limit_reduced",
                    format!("{name}.{limit}"),
                    format!(
                        "the plan `{name}`'s {limit} is now {}, was {}",
                        words(now),
                        words(was)
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn customers() -> Contract {
        Contract::parse(include_str!("../../contracts/customer-list/1.0.0.toml")).unwrap()
    }

    fn kinds(old: &Contract, new: &Contract) -> Vec<&'static str> {
        incompatibilities(old, new).iter().map(|i| i.kind).collect()
    }

    fn table(c: &mut Contract) -> &mut crate::contract::TableSpec {
        c.input.table.as_mut().unwrap()
    }

    #[test]
    fn widening_is_compatible() {
        let v1 = customers();
        let mut v2 = v1.clone();
        table(&mut v2).columns.push(ColumnSpec {
            name: "notes".into(),
            ..ColumnSpec::default()
        });
        table(&mut v2).columns[0].max_length = None;
        for tier in v2.tiers.values_mut() {
            tier.max_input_tokens *= 2;
        }
        v2.input.languages.clear();
        assert_eq!(kinds(&v1, &v2), Vec::<&str>::new());
    }

    #[test]
    fn inputs_that_are_no_longer_accepted_are_breaking() {
        let v1 = customers();
        let mut v2 = v1.clone();
        table(&mut v2).columns.push(ColumnSpec {
            name: "phone".into(),
            required: true,
            ..ColumnSpec::default()
        });
        let country = table(&mut v2)
            .columns
            .iter_mut()
            .find(|c| c.name == "country")
            .unwrap();
        country.required = true;
        country.kind = ColumnType::Enum;
        country.values = vec!["United Kingdom".into()];
        let plan = table(&mut v2)
            .columns
            .iter_mut()
            .find(|c| c.name == "plan")
            .unwrap();
        plan.values.retain(|v| v != "free");
        v2.input.languages = vec!["eng".into()];
        v2.input.text = false;
        let found = incompatibilities(&v1, &v2);
        let at: Vec<(&str, &str)> = found.iter().map(|i| (i.kind, i.at.as_str())).collect();
        assert!(at.contains(&("required_column_added", "phone")), "{at:?}");
        assert!(at.contains(&("column_now_required", "country")), "{at:?}");
        assert!(at.contains(&("column_type_narrowed", "country")), "{at:?}");
        assert!(at.contains(&("column_values_narrowed", "plan")), "{at:?}");
        assert!(
            at.contains(&("languages_narrowed", "input.languages")),
            "{at:?}"
        );
        assert!(
            at.contains(&("text_no_longer_accepted", "input.text")),
            "{at:?}"
        );
        let plan = found
            .iter()
            .find(|i| i.kind == "column_values_narrowed")
            .unwrap();
        assert_eq!(plan.message, "the column `plan` no longer accepts free");
        v2.input.table = None;
        assert!(kinds(&v1, &v2).contains(&"table_no_longer_accepted"));
    }

    #[test]
    fn output_fields_removed_renamed_retyped_or_optional_are_breaking() {
        let with_schema = |schema: Value| {
            let mut c = customers();
            c.output = Some(crate::contract::OutputSpec {
                format: OutputFormat::Json,
                schema: Some(schema),
                max_chars: None,
                reask: true,
                example: None,
            });
            c
        };
        let v1 = with_schema(serde_json::json!({
            "type": "object",
            "required": ["summary", "actions"],
            "properties": {
                "summary": {"type": "string"},
                "actions": {"type": "array", "items": {"type": "object", "properties": {"who": {"type": "string"}}}},
                "score": {"type": "number"},
            }
        }));
        let v2 = with_schema(serde_json::json!({
            "type": "object",
            "required": ["overview"],
            "properties": {
                "overview": {"type": "string"},
                "actions": {"type": "array", "items": {"type": "object", "properties": {"owner": {"type": "string"}}}},
                "score": {"type": "string"},
                "extra": {"type": "string"},
            }
        }));
        let mut found: Vec<(&str, String)> = incompatibilities(&v1, &v2)
            .into_iter()
            .map(|i| (i.kind, i.at))
            .collect();
        found.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(
            found,
            vec![
                ("output_field_no_longer_required", "actions".to_owned()),
                ("output_field_removed", "actions[]/who".to_owned()),
                ("output_field_type_changed", "score".to_owned()),
                ("output_field_removed", "summary".to_owned()),
            ]
        );
        // A new field is not breaking.
        assert!(incompatibilities(&v2, &v2).is_empty());
        assert_eq!(kinds(&customers(), &v1), vec!["output_format_changed"]);
    }

    #[test]
    fn smaller_allowances_are_breaking() {
        let v1 = customers();
        let mut v2 = v1.clone();
        v2.tiers.remove("paid");
        let free = v2.tiers.get_mut("free").unwrap();
        free.max_input_tokens -= 1;
        free.requests_per_minute = free.requests_per_minute.map(|n| n - 1);
        let found = incompatibilities(&v1, &v2);
        let at: Vec<&str> = found.iter().map(|i| i.at.as_str()).collect();
        assert_eq!(
            at,
            vec!["free.max_input_tokens", "free.requests_per_minute", "paid"]
        );
        assert_eq!(found[2].message, "the plan `paid` no longer exists");
    }
}
