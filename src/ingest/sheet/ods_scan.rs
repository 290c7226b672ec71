//! A quick pass over an OpenDocument `content.xml` before it is parsed:
//! how deeply it nests, how far each table's cells reach (with repeated
//! rows and columns expanded), and its merged (spanned) cells.
//!
//! The parser fills a dense grid between the first and last used cell,
//! so a tiny file repeating a cell a million times could take gigabytes;
//! this pass lets us refuse it first.

use super::grid::{a1_range, Overflow};
use crate::Limits;

/// What the scan found in one table (sheet).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct TableScan {
    pub name: String,
    /// Merged ranges in A1 notation.
    pub merged: Vec<String>,
}

/// Why a scan stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refused {
    /// Nested deeper than the limit.
    TooDeep,
    /// A table reaches beyond a size limit.
    TooBig(Overflow),
}

/// The value of attribute `name` in a start tag's text.
fn attr<'a>(tag: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut from = 0;
    while let Some(pos) = find(&tag[from..], name) {
        let at = from + pos;
        let before_ok = at > 0 && tag[at - 1].is_ascii_whitespace();
        let rest = &tag[at + name.len()..];
        let rest = trim_start(rest);
        if before_ok && rest.first() == Some(&b'=') {
            let rest = trim_start(&rest[1..]);
            let quote = *rest.first()?;
            if quote == b'"' || quote == b'\'' {
                let end = rest[1..].iter().position(|&b| b == quote)?;
                return Some(&rest[1..1 + end]);
            }
        }
        from = at + name.len();
    }
    None
}

fn trim_start(b: &[u8]) -> &[u8] {
    let n = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    &b[n..]
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn number(tag: &[u8], name: &[u8]) -> u64 {
    attr(tag, name)
        .and_then(|v| std::str::from_utf8(v).ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

#[derive(Default)]
struct Current {
    scan: TableScan,
    row: u64,
    col: u64,
    rows_repeat: u64,
    row_used: bool,
    row_width: u64,
    first_used: Option<u64>,
    last_used: u64,
    width: u64,
    /// The last start tag was a cell that is still open.
    cell_open: bool,
}

impl Current {
    fn check(&self, limits: &Limits) -> Result<(), Refused> {
        let Some(first) = self.first_used else {
            return Ok(());
        };
        let rows = self.last_used - first + 1;
        let over = |found, max, unit| Err(Refused::TooBig(Overflow { found, max, unit }));
        if self.width > limits.max_columns {
            return over(self.width, limits.max_columns, "columns");
        }
        if rows > limits.max_rows.saturating_add(1) {
            return over(rows, limits.max_rows, "rows");
        }
        let cells = rows.saturating_mul(self.width);
        if cells > limits.max_cells {
            return over(cells, limits.max_cells, "cells");
        }
        Ok(())
    }
}

/// Scans `xml`, refusing it when it nests deeper than `limits.max_depth`
/// or a table reaches beyond the row, column or cell limits.
pub(super) fn scan(xml: &[u8], limits: &Limits) -> Result<Vec<TableScan>, Refused> {
    let mut tables = Vec::new();
    let mut cur: Option<Current> = None;
    let mut depth: u64 = 0;
    let mut i = 0;
    while let Some(lt) = xml[i..].iter().position(|&b| b == b'<') {
        let start = i + lt;
        let rest = &xml[start..];
        let skip_to = |end: &[u8]| find(rest, end).map(|p| start + p + end.len());
        let next = if rest.starts_with(b"<!--") {
            skip_to(b"-->")
        } else if rest.starts_with(b"<![CDATA[") {
            skip_to(b"]]>")
        } else if rest.starts_with(b"<?") {
            skip_to(b"?>")
        } else if rest.starts_with(b"<!") {
            // A document type declaration, perhaps with an internal subset.
            let mut bracket = 0i64;
            rest.iter()
                .position(|&b| {
                    match b {
                        b'[' => bracket += 1,
                        b']' => bracket -= 1,
                        b'>' if bracket <= 0 => return true,
                        _ => {}
                    }
                    false
                })
                .map(|p| start + p + 1)
        } else {
            // A start or end tag: find its end outside quoted values.
            let mut quote = 0u8;
            let end = rest.iter().position(|&b| {
                if quote != 0 {
                    if b == quote {
                        quote = 0;
                    }
                    false
                } else if b == b'"' || b == b'\'' {
                    quote = b;
                    false
                } else {
                    b == b'>'
                }
            });
            if let Some(end) = end {
                let tag = &rest[..=end];
                if tag.starts_with(b"</") {
                    depth = depth.saturating_sub(1);
                    end_tag(tag, &mut cur, &mut tables, limits)?;
                } else {
                    let closed = tag.ends_with(b"/>");
                    if !closed {
                        depth += 1;
                        if depth > limits.max_depth {
                            return Err(Refused::TooDeep);
                        }
                    }
                    start_tag(tag, closed, &mut cur, &mut tables, limits)?;
                }
            }
            end.map(|p| start + p + 1)
        };
        match next {
            Some(n) => i = n,
            None => break,
        }
    }
    Ok(tables)
}

fn name_is(tag: &[u8], name: &[u8]) -> bool {
    tag.get(..name.len()) == Some(name)
        && tag
            .get(name.len())
            .is_some_and(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
}

fn start_tag(
    tag: &[u8],
    closed: bool,
    cur: &mut Option<Current>,
    tables: &mut Vec<TableScan>,
    limits: &Limits,
) -> Result<(), Refused> {
    let body = &tag[1..];
    if name_is(body, b"table:table") {
        let name = attr(tag, b"table:name")
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .unwrap_or_default();
        let table = Current {
            scan: TableScan {
                name,
                ..TableScan::default()
            },
            ..Current::default()
        };
        if closed {
            tables.push(table.scan);
        } else {
            *cur = Some(table);
        }
        return Ok(());
    }
    let Some(c) = cur.as_mut() else {
        return Ok(());
    };
    if c.cell_open && !closed {
        // Content inside a cell (a paragraph): the cell is used.
        c.row_used = true;
        c.row_width = c.row_width.max(c.col);
    }
    if name_is(body, b"table:table-row") {
        c.rows_repeat = number(tag, b"table:number-rows-repeated");
        c.col = 0;
        c.row_used = false;
        c.row_width = 0;
        if closed {
            c.row = c.row.saturating_add(c.rows_repeat);
        }
    } else if name_is(body, b"table:table-cell") || name_is(body, b"table:covered-table-cell") {
        let repeat = number(tag, b"table:number-columns-repeated");
        let valued = attr(tag, b"office:value-type").is_some();
        let spans = (
            number(tag, b"table:number-rows-spanned"),
            number(tag, b"table:number-columns-spanned"),
        );
        if spans != (1, 1) && c.scan.merged.len() < 10_000 {
            let (r, col) = (
                c.row.min(u64::from(u32::MAX)),
                c.col.min(u64::from(u32::MAX)),
            );
            let end = (
                (r + spans.0 - 1).min(u64::from(u32::MAX)),
                (col + spans.1 - 1).min(u64::from(u32::MAX)),
            );
            c.scan.merged.push(a1_range(
                (r as u32, col as u32),
                (end.0 as u32, end.1 as u32),
            ));
        }
        c.col = c.col.saturating_add(repeat);
        if valued {
            c.row_used = true;
            c.row_width = c.col;
        }
        // Text content, if any, marks the cell used (see above).
        c.cell_open = !closed;
        c.check(limits)?;
    }
    Ok(())
}

fn end_tag(
    tag: &[u8],
    cur: &mut Option<Current>,
    tables: &mut Vec<TableScan>,
    limits: &Limits,
) -> Result<(), Refused> {
    let body = &tag[2..];
    if name_is(body, b"table:table") {
        if let Some(c) = cur.take() {
            tables.push(c.scan);
        }
        return Ok(());
    }
    let Some(c) = cur.as_mut() else {
        return Ok(());
    };
    if name_is(body, b"table:table-cell") || name_is(body, b"table:covered-table-cell") {
        c.cell_open = false;
    } else if name_is(body, b"table:table-row") {
        if c.row_used {
            c.first_used.get_or_insert(c.row);
            c.last_used = c.row.saturating_add(c.rows_repeat - 1);
            c.width = c.width.max(c.row_width);
        }
        c.row = c.row.saturating_add(c.rows_repeat);
        c.check(limits)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(body: &str) -> String {
        format!("<?xml version=\"1.0\"?><office:document-content><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>")
    }

    #[test]
    fn finds_merges_and_repeats() {
        let xml = doc(
            r#"<table:table table:name="S"><table:table-row><table:table-cell table:number-columns-spanned="3" office:value-type="string"><text:p>Title</text:p></table:table-cell><table:covered-table-cell table:number-columns-repeated="2"/></table:table-row><table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="1024"/></table:table-row></table:table>"#,
        );
        let tables = scan(xml.as_bytes(), &Limits::default()).unwrap();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].name, "S");
        assert_eq!(tables[0].merged, vec!["A1:C1"]);
    }

    #[test]
    fn refuses_huge_repeats_and_deep_nesting() {
        let xml = doc(
            r#"<table:table table:name="S"><table:table-row table:number-rows-repeated="1000000"><table:table-cell office:value-type="float" office:value="1" table:number-columns-repeated="100"/></table:table-row></table:table>"#,
        );
        let err = scan(xml.as_bytes(), &Limits::default()).unwrap_err();
        assert!(matches!(
            err,
            Refused::TooBig(Overflow { unit: "cells", .. })
        ));
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        assert_eq!(
            scan(deep.as_bytes(), &Limits::default()),
            Err(Refused::TooDeep)
        );
        assert!(scan(b"<a b='>' <!-- x", &Limits::default()).is_ok());
    }
}
