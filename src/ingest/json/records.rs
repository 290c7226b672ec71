//! Records (JSON objects) as a table: one column per key path, one row per
//! record.

use super::value::Json;
use crate::ingest::{Limits, Table};
use crate::{messages::issue, Issue};
use std::collections::HashMap;

/// At most this many `inconsistent_keys` issues (one per key) are
/// reported; the columns are in first-seen order, so these are the keys
/// that appear first.
const MAX_KEY_ISSUES: usize = 5;

/// One record: the 1-based line where it starts, and its object fields.
pub(super) struct Record<'a> {
    pub line: u64,
    pub fields: &'a [(String, Json)],
}

/// The records of a value, when it is a list of records: a non-empty array
/// of objects, or one non-empty object whose values are all scalars. `lines` are the
/// start lines of the array's elements (as many as were kept); `line` is
/// where the value starts.
pub(super) fn of_value<'a>(value: &'a Json, line: u64, lines: &[u64]) -> Option<Vec<Record<'a>>> {
    match value {
        Json::Array(items) if !items.is_empty() => items
            .iter()
            .enumerate()
            .map(|(i, item)| match item {
                Json::Object(fields) => Some(Record {
                    line: lines.get(i).copied().unwrap_or(line),
                    fields,
                }),
                _ => None,
            })
            .collect(),
        Json::Object(fields) if !fields.is_empty() && fields.iter().all(|(_, v)| v.is_scalar()) => {
            Some(vec![Record { line, fields }])
        }
        _ => None,
    }
}

/// Flattens a record into (dotted key path, cell) pairs: nested objects
/// give `address.city`; an empty nested object stays one `{}` cell.
fn flatten(prefix: &str, fields: &[(String, Json)], out: &mut Vec<(String, String)>) {
    for (key, value) in fields {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Json::Object(inner) if !inner.is_empty() => flatten(&path, inner, out),
            _ => out.push((path, value.cell())),
        }
    }
}

/// Builds the table of `records`, or returns the `too_many_rows` issue when
/// it is larger than `limits` allow. Keys missing from some records are
/// reported in `issues`.
pub(super) fn table(
    records: &[Record<'_>],
    limits: &Limits,
    issues: &mut Vec<Issue>,
) -> Option<Table> {
    let count = records.len() as u64;
    if count > limits.max_rows {
        issues.push(issue::too_many_rows(count, limits.max_rows, "records"));
        return None;
    }
    let mut headers: Vec<String> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut sparse: Vec<Vec<(usize, String)>> = Vec::with_capacity(records.len());
    let mut pairs = Vec::new();
    for record in records {
        pairs.clear();
        flatten("", record.fields, &mut pairs);
        let mut row = Vec::with_capacity(pairs.len());
        for (path, cell) in pairs.drain(..) {
            let column = match index.get(&path) {
                Some(&c) => c,
                None => {
                    let c = headers.len();
                    headers.push(path.clone());
                    index.insert(path, c);
                    c
                }
            };
            row.push((column, cell));
        }
        sparse.push(row);
    }
    let width = headers.len() as u64;
    if width > limits.max_columns {
        issues.push(issue::too_many_rows(width, limits.max_columns, "columns"));
        return None;
    }
    let cells = width.saturating_mul(count);
    if cells > limits.max_cells {
        issues.push(issue::too_many_rows(cells, limits.max_cells, "cells"));
        return None;
    }

    // Per column: records that have the key, and the first that lacks it.
    let mut present = vec![0u64; headers.len()];
    let mut first_missing: Vec<Option<usize>> = vec![None; headers.len()];
    let mut rows = Vec::with_capacity(sparse.len());
    for (r, cells) in sparse.into_iter().enumerate() {
        let mut row = vec![String::new(); headers.len()];
        let mut has = vec![false; headers.len()];
        for (c, cell) in cells {
            // A key written twice in one object: the last value wins.
            row[c] = cell;
            has[c] = true;
        }
        for (c, &h) in has.iter().enumerate() {
            if h {
                present[c] += 1;
            } else if first_missing[c].is_none() {
                first_missing[c] = Some(r);
            }
        }
        rows.push(row);
    }
    let table = Table {
        sheet: None,
        delimiter: b',',
        header_line: records.first().map_or(1, |r| r.line),
        headers,
        rows,
        row_lines: records.iter().map(|r| r.line).collect(),
        reported_cells: Vec::new(),
    };
    let varying = first_missing
        .iter()
        .enumerate()
        .filter_map(|(c, first)| first.map(|r| (c, r)))
        .take(MAX_KEY_ISSUES);
    for (c, r) in varying {
        let key = &table.headers[c];
        issues.push(issue::inconsistent_keys(
            key,
            count - present[c],
            table.location(r, Some(key)),
        ));
    }
    Some(table)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Json {
        serde_json::from_str(text).unwrap()
    }

    #[test]
    fn flattens_nested_objects_and_serialises_arrays() {
        let v = parse(
            r#"[{"name": "Ada", "address": {"city": "London", "geo": {"lat": 51.5}}, "tags": ["a", 1], "x": null, "ok": true, "e": {}}]"#,
        );
        let records = of_value(&v, 1, &[1]).unwrap();
        let mut issues = Vec::new();
        let t = table(&records, &Limits::default(), &mut issues).unwrap();
        assert_eq!(
            t.headers,
            [
                "name",
                "address.city",
                "address.geo.lat",
                "tags",
                "x",
                "ok",
                "e"
            ]
        );
        assert_eq!(
            t.rows[0],
            ["Ada", "London", "51.5", r#"["a",1]"#, "", "true", "{}"]
        );
        assert!(issues.is_empty());
    }

    #[test]
    fn headers_are_the_union_in_first_seen_order() {
        let v = parse(r#"[{"b": 1, "a": 2}, {"c": 3, "a": 4}, {"b": 5}]"#);
        let records = of_value(&v, 1, &[2, 3, 4]).unwrap();
        let mut issues = Vec::new();
        let t = table(&records, &Limits::default(), &mut issues).unwrap();
        assert_eq!(t.headers, ["b", "a", "c"]);
        assert_eq!(
            t.rows,
            [vec!["1", "2", ""], vec!["", "4", "3"], vec!["5", "", ""]]
        );
        assert_eq!(t.row_lines, [2, 3, 4]);
        assert_eq!(t.header_line, 2);
        let found: Vec<(u64, Option<u64>)> = issues
            .iter()
            .map(|i| (i.count.unwrap(), i.at.as_ref().unwrap().line))
            .collect();
        // 'b' lacks in record 2 (line 3); 'a' in record 3; 'c' in records 1 and 3.
        assert_eq!(found, [(1, Some(3)), (1, Some(4)), (2, Some(2))]);
    }

    #[test]
    fn only_scalar_objects_and_arrays_of_objects_are_records() {
        assert!(of_value(&parse(r#"{"a": 1, "b": "x"}"#), 1, &[]).is_some());
        assert!(of_value(&parse(r#"{"a": {"b": 1}}"#), 1, &[]).is_none());
        assert!(of_value(&parse(r#"[{"a": 1}, 2]"#), 1, &[]).is_none());
        assert!(of_value(&parse("[]"), 1, &[]).is_none());
        assert!(of_value(&parse("[1, 2]"), 1, &[]).is_none());
    }

    #[test]
    fn limits_apply_to_records_columns_and_cells() {
        let v = parse(r#"[{"a": 1, "b": 2}, {"a": 3, "b": 4}]"#);
        let records = of_value(&v, 1, &[]).unwrap();
        for limits in [
            Limits {
                max_rows: 1,
                ..Limits::default()
            },
            Limits {
                max_columns: 1,
                ..Limits::default()
            },
            Limits {
                max_cells: 3,
                ..Limits::default()
            },
        ] {
            let mut issues = Vec::new();
            assert!(table(&records, &limits, &mut issues).is_none());
            assert_eq!(issues.len(), 1);
            assert_eq!(issues[0].code, crate::Code::TooManyRows);
        }
    }
}
