//! The table part of a contract: columns, their types and the policy for
//! columns the contract does not mention.

use crate::Error;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The table a contract expects.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableSpec {
    /// The declared columns, in the order users should see them.
    pub columns: Vec<ColumnSpec>,
    /// What to do with columns the contract does not declare.
    #[serde(default)]
    pub extra_columns: ExtraColumns,
}

impl TableSpec {
    /// The names of the required columns, in order.
    pub fn required(&self) -> Vec<&str> {
        self.columns
            .iter()
            .filter(|c| c.required)
            .map(|c| c.name.as_str())
            .collect()
    }

    /// A small table that fits: a header of the declared columns and a
    /// row of their examples (columns without one are left blank).
    ///
    /// ```
    /// use prompt_preflight::Contract;
    /// let contract = Contract::parse(include_str!("../../contracts/customer-list/1.0.0.toml")).unwrap();
    /// let example = contract.input.table.unwrap().example_csv();
    /// assert!(example.starts_with("name,email,"));
    /// assert!(example.contains("\nAda Lovelace,ada@example.com,"));
    /// ```
    pub fn example_csv(&self) -> String {
        let cell = |value: &str| {
            if value.contains([',', '"', '\n']) {
                format!("\"{}\"", value.replace('"', "\"\""))
            } else {
                value.to_owned()
            }
        };
        let header: Vec<String> = self.columns.iter().map(|c| cell(&c.name)).collect();
        let row: Vec<String> = self
            .columns
            .iter()
            .map(|c| cell(c.example.as_deref().unwrap_or("")))
            .collect();
        format!("{}\n{}", header.join(","), row.join(","))
    }
}

/// What happens to columns the contract does not declare.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExtraColumns {
    /// Keep them without comment.
    Allow,
    /// Keep them, and warn the user.
    #[default]
    Warn,
    /// Tell the user they will be removed before the model sees the data.
    Drop,
}

/// One declared column.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// The column name users should use.
    pub name: String,
    /// The type of the values.
    #[serde(rename = "type", default)]
    pub kind: ColumnType,
    /// Whether the column must be present.
    #[serde(default)]
    pub required: bool,
    /// What the column holds, in words for users.
    #[serde(default)]
    pub description: String,
    /// An example value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub example: Option<String>,
    /// Other header names that mean the same column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// The allowed values of an `enum` column.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    /// Accepted formats of a `date` column, written with `YYYY`, `MM`, `DD`
    /// (and `M`, `D` for one or two digits), e.g. `DD/MM/YYYY`. Empty means
    /// ISO `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub formats: Vec<String>,
    /// The most characters a value may have.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// A regular expression the whole value must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The smallest allowed value of a number or integer column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The largest allowed value of a number or integer column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// The type of a column's values.
#[cfg_attr(feature = "wasm", derive(tsify::Tsify))]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// Any text.
    #[default]
    String,
    /// Whole numbers.
    Integer,
    /// Any number.
    Number,
    /// Yes/no values.
    Boolean,
    /// Calendar dates.
    Date,
    /// One of a fixed list of values.
    Enum,
}

impl ColumnSpec {
    /// The column's `pattern`, anchored to match whole values, or `None`
    /// when it has none. The error says why it is not a valid regular
    /// expression.
    pub fn compiled_pattern(&self) -> Option<Result<Pattern, String>> {
        self.pattern.as_ref().map(|p| Pattern::new(p))
    }

    /// Every header name that matches this column: its name and aliases.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.name.as_str()).chain(self.aliases.iter().map(String::as_str))
    }
}

/// A column's pattern, compiled to match whole values.
///
/// Builds without the `readers` feature (the browser's meter module,
/// which reads no table) do not carry a regular expression engine: there
/// a pattern is not compiled and matches every value, and the module that
/// reads tables (and the server) check it.
#[derive(Debug, Clone)]
pub struct Pattern {
    #[cfg(feature = "readers")]
    regex: regex::Regex,
}

impl Pattern {
    #[cfg(feature = "readers")]
    fn new(pattern: &str) -> Result<Pattern, String> {
        regex::Regex::new(&format!("^(?:{pattern})$"))
            .map(|regex| Pattern { regex })
            .map_err(|e| e.to_string())
    }

    #[cfg(not(feature = "readers"))]
    fn new(_: &str) -> Result<Pattern, String> {
        Ok(Pattern {})
    }

    /// Whether `value` matches the whole pattern.
    pub fn is_match(&self, value: &str) -> bool {
        #[cfg(feature = "readers")]
        return self.regex.is_match(value);
        #[cfg(not(feature = "readers"))]
        {
            let _ = value;
            true
        }
    }
}

impl TableSpec {
    pub(crate) fn validate(&self, at: &str) -> Result<(), Error> {
        if self.columns.is_empty() {
            return Err(Error::invalid_field(
                format!("{at}.columns"),
                "declare at least one column",
            ));
        }
        let mut seen = HashSet::new();
        for (i, column) in self.columns.iter().enumerate() {
            let here = format!("{at}.columns[{i}]");
            if column.name.trim().is_empty() {
                return Err(Error::invalid_field(
                    format!("{here}.name"),
                    "must not be empty",
                ));
            }
            for name in column.names() {
                if !seen.insert(crate::words::normalize_header(name)) {
                    return Err(Error::invalid_field(
                        format!("{here}.name"),
                        format!("the name `{name}` is used by more than one column or alias"),
                    ));
                }
            }
            if let Some(Err(e)) = column.compiled_pattern() {
                return Err(Error::invalid_field(
                    format!("{here}.pattern"),
                    format!("not a valid regular expression: {e}"),
                ));
            }
            let numeric = matches!(column.kind, ColumnType::Integer | ColumnType::Number);
            if (column.min.is_some() || column.max.is_some()) && !numeric {
                return Err(Error::invalid_field(
                    format!("{here}.min"),
                    "`min` and `max` apply to integer and number columns only",
                ));
            }
            if let (Some(min), Some(max)) = (column.min, column.max) {
                if min > max {
                    return Err(Error::invalid_field(
                        format!("{here}.max"),
                        format!("must not be below `min` ({min})"),
                    ));
                }
            }
            if column.max_length == Some(0) {
                return Err(Error::invalid_field(
                    format!("{here}.max_length"),
                    "must be greater than 0",
                ));
            }
            for (j, format) in column.formats.iter().enumerate() {
                if column.kind != ColumnType::Date {
                    return Err(Error::invalid_field(
                        format!("{here}.formats"),
                        "`formats` apply to date columns only",
                    ));
                }
                if !["YYYY", "M", "D"].iter().all(|t| format.contains(t)) {
                    return Err(Error::invalid_field(
                        format!("{here}.formats[{j}]"),
                        format!(
                            "`{format}` needs a year (YYYY), a month (MM or M) and a day (DD or D)"
                        ),
                    ));
                }
            }
            if column.kind == ColumnType::Enum && column.values.is_empty() {
                return Err(Error::invalid_field(
                    format!("{here}.values"),
                    "an enum column must list its allowed values",
                ));
            }
        }
        Ok(())
    }
}
