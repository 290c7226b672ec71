//! Keeping the sections of a prepared body that best match the question
//! and fit the budget, in their original order.

use super::{fits, relevance};
use crate::contract::TableFormat;
use crate::messages::prepare;
use crate::trim::table;
use crate::trim::Body;
use crate::Step;
use crate::StepKind;

use crate::{chunk_text, Budget, ChunkOptions, Location, Table, Tokenizer};

/// Keeps the sections of `body` most relevant to `terms` that fit the
/// budget; returns the step when any were left out.
pub(super) fn keep_relevant(
    body: &mut Body,
    source: Option<&Table>,
    format: TableFormat,
    terms: &[String],
    tokenizer: &Tokenizer,
    budget: &Budget,
) -> Option<Step> {
    let limit = budget.encoding_limit();
    match body {
        Body::Table(rows) => {
            let written = table::write(rows, format);
            let fixed = tokenizer.count(&written.head) + tokenizer.count(written.tail);
            let sep = tokenizer.count(written.sep);
            let tokens: Vec<u64> = written
                .rows
                .iter()
                .map(|r| tokenizer.count(r) + sep)
                .collect();
            let texts: Vec<String> = rows.rows.iter().map(|r| r.join(" ")).collect();
            let scores = relevance::scores(texts.iter().map(String::as_str), terms);
            let (keep, _) = choose(
                &tokens,
                &scores,
                limit.saturating_sub(fixed),
                budget,
                |keep| {
                    let kept: Vec<&str> = (0..keep.len())
                        .filter(|&i| keep[i])
                        .map(|i| written.rows[i].as_str())
                        .collect();
                    written.head.clone() + &kept.join(written.sep) + written.tail
                },
            );
            let (omitted, step) = omitted_step(
                &keep,
                ("row", "rows"),
                "",
                |i| preview(&texts[i]),
                |i| source.map(|t| t.location(rows.source[i], None)),
            )?;
            let step = step.with_tokens(omitted.iter().map(|&i| tokens[i]).sum());
            let mut k = keep.iter();
            rows.rows.retain(|_| *k.next().unwrap_or(&true));
            let mut k = keep.iter();
            rows.source.retain(|_| *k.next().unwrap_or(&true));
            Some(step)
        }
        Body::Text(text) | Body::Json(text) => {
            let size = (limit / 8).clamp(32, 400).min(limit);
            let sections = chunk_text(
                tokenizer,
                text,
                &ChunkOptions {
                    max_tokens: size,
                    overlap: 0,
                },
            )
            .ok()?;
            let slices: Vec<&str> = sections.iter().map(|c| &text[c.own_start..c.end]).collect();
            let tokens: Vec<u64> = sections.iter().map(|c| c.tokens + 2).collect();
            let scores = relevance::scores(slices.iter().copied(), terms);
            let (keep, joined) = choose(&tokens, &scores, limit, budget, |keep| {
                join_kept(&slices, keep)
            });
            let mut line = 1u64;
            let mut lines = Vec::with_capacity(slices.len());
            for s in &slices {
                lines.push(line);
                line += s.matches('\n').count() as u64;
            }
            let (omitted, step) = omitted_step(
                &keep,
                ("section", "sections"),
                ", in their order, and marked each gap with “[…]”",
                |i| preview(slices[i]),
                |i| Some(Location::line(lines[i])),
            )?;
            let step = step
                .with_tokens(omitted.iter().map(|&i| sections[i].tokens).sum())
                .with_chars(
                    omitted
                        .iter()
                        .map(|&i| slices[i].chars().count() as u64)
                        .sum(),
                );
            *text = joined;
            Some(step)
        }
    }
}

/// The step for the sections `keep` leaves out, with their indices, or
/// `None` when it keeps them all. `how` follows "that best match your
/// question" in the message.
fn omitted_step(
    keep: &[bool],
    (one, many): (&str, &str),
    how: &str,
    preview: impl Fn(usize) -> String,
    at: impl Fn(usize) -> Option<Location>,
) -> Option<(Vec<usize>, Step)> {
    let omitted: Vec<usize> = (0..keep.len()).filter(|&i| !keep[i]).collect();
    if omitted.is_empty() {
        return None;
    }
    let n = omitted.len() as u64;
    let all = keep.len() as u64;
    let step = Step::new(
        StepKind::SectionsOmitted,
        n,
        prepare::sections_omitted(n, all, one, many, how),
    )
    .with_items(omitted.iter().map(|&i| preview(i)))
    .with_at(omitted.iter().filter_map(|&i| at(i)));
    Some((omitted, step))
}

/// Which sections to keep: the best that fit `limit` by their own
/// counts, then, while `render(keep)` measured in the template is over,
/// the lowest-scoring left out. Returns the mask and the rendered text.
fn choose(
    tokens: &[u64],
    scores: &[f64],
    limit: u64,
    budget: &Budget,
    render: impl Fn(&[bool]) -> String,
) -> (Vec<bool>, String) {
    let mut keep = relevance::select(tokens, scores, limit);
    loop {
        let text = render(&keep);
        let t = budget.measure(&text);
        if fits(&t) || !keep.contains(&true) {
            return (keep, text);
        }
        drop_lowest(&mut keep, scores, tokens, t.input.saturating_sub(t.limit));
    }
}

/// The kept sections in order, with "[…]" where sections were left out.
fn join_kept(slices: &[&str], keep: &[bool]) -> String {
    let mut out = String::new();
    let mut gap = false;
    for (s, &k) in slices.iter().zip(keep) {
        if !k {
            gap = true;
            continue;
        }
        if gap {
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            out.push_str(if out.is_empty() {
                "[…]\n\n"
            } else {
                "\n\n[…]\n\n"
            });
            gap = false;
        }
        out.push_str(if out.ends_with("[…]\n\n") {
            s.trim_start()
        } else {
            s
        });
    }
    if gap {
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push_str("\n\n[…]");
    }
    out
}

/// Leaves out the lowest-scoring kept sections, at least `over` tokens'
/// worth (at least one).
fn drop_lowest(keep: &mut [bool], scores: &[f64], tokens: &[u64], over: u64) {
    let mut kept: Vec<usize> = (0..keep.len()).filter(|&i| keep[i]).collect();
    kept.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(b.cmp(&a)));
    let mut freed = 0;
    for i in kept {
        keep[i] = false;
        freed += tokens[i];
        if freed >= over.max(1) {
            break;
        }
    }
}

/// The first words of a section, for the manifest.
fn preview(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= 60 {
        flat
    } else {
        format!("{}…", flat.chars().take(60).collect::<String>())
    }
}
