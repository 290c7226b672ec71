//! Chunking: the invariants on arbitrary text (no chunk over the budget,
//! the chunks give back the text, the same input gives the same chunks),
//! the choice of boundaries, overlap and offsets.

use prompt_preflight::{chunk_text, Boundary, Chunk, ChunkError, ChunkOptions, Encoding};
use proptest::prelude::*;

fn chunks(text: &str, max_tokens: u64, overlap: u64) -> Vec<Chunk> {
    let t = Encoding::O200kBase.tokenizer().unwrap();
    chunk_text(
        t,
        text,
        &ChunkOptions {
            max_tokens,
            overlap,
        },
    )
    .unwrap()
}

/// Every invariant the chunker promises, for one text and budget.
fn assert_invariants(
    text: &str,
    max: u64,
    overlap: u64,
    encoding: Encoding,
) -> Result<(), TestCaseError> {
    let t = encoding.tokenizer().unwrap();
    let options = ChunkOptions {
        max_tokens: max,
        overlap,
    };
    let got = chunk_text(t, text, &options).unwrap();
    prop_assert_eq!(
        &got,
        &chunk_text(t, text, &options).unwrap(),
        "deterministic"
    );
    let mut at = 0;
    for c in &got {
        prop_assert!(c.start <= c.own_start && c.own_start < c.end, "{c:?}");
        prop_assert_eq!(c.own_start, at, "the own parts tile the text");
        at = c.end;
        let body = &text[c.start..c.end]; // panics if not on char boundaries
        prop_assert_eq!(c.tokens, t.count(body), "the count is exact");
        prop_assert!(c.tokens <= max, "{} tokens in {:?}", c.tokens, body);
        prop_assert_eq!(c.start_utf16, text[..c.start].encode_utf16().count());
        prop_assert_eq!(c.end_utf16, text[..c.end].encode_utf16().count());
        if overlap == 0 {
            prop_assert_eq!(c.start, c.own_start);
        }
    }
    prop_assert_eq!(at, text.len(), "the chunks reach the end");
    let joined: String = got.iter().map(|c| &text[c.own_start..c.end]).collect();
    prop_assert_eq!(joined, text);
    Ok(())
}

fn texts() -> impl Strategy<Value = String> {
    let words = proptest::sample::select(vec![
        "word",
        " word",
        "Hello",
        ". ",
        "! ",
        "\n",
        "\n\n",
        "# Title\n",
        "  ",
        "\t",
        "中文",
        "。",
        "é",
        "a\u{301}",
        "👍🏽",
        "👨\u{200d}👩\u{200d}👧",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "1234567",
        "{\"k\":[1,2]}",
        "\r\n",
        "https://example.com/a/b",
        "don't",
        "ＡＢＣ",
        "\u{a0}",
    ]);
    proptest::collection::vec(words, 0..300).prop_map(|w| w.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn invariants_hold_on_arbitrary_text(text in texts(), max in 4u64..80, overlap in 0u64..10) {
        let overlap = overlap.min(max - 1);
        assert_invariants(&text, max, overlap, Encoding::O200kBase)?;
        assert_invariants(&text, max, overlap, Encoding::Cl100kBase)?;
    }

    #[test]
    fn invariants_hold_on_any_string(text in "\\PC{0,200}", max in 4u64..20) {
        assert_invariants(&text, max, 0, Encoding::O200kBase)?;
    }
}

#[test]
fn invariants_hold_on_long_runs_without_boundaries() {
    for text in [
        "a".repeat(20_000),
        " ".repeat(20_000),
        "中".repeat(5_000),
        "👍🏽".repeat(2_000),
        "a\u{301}".repeat(3000),
    ] {
        for max in [4, 7, 64, 512] {
            assert_invariants(&text, max, 0, Encoding::O200kBase).unwrap();
        }
    }
}

#[test]
fn the_largest_boundary_that_fits_wins() {
    let text = "# One\n\nFirst part. Still the first part, with more words in it.\n\n# Two\n\nSecond part.";
    let n = Encoding::O200kBase.count(text).count;
    let got = chunks(text, n - 2, 0);
    assert!(text[got[1].start..].starts_with("# Two"), "{got:?}");
    assert_eq!(got[0].boundary, Boundary::Heading);
    assert_eq!(got.last().unwrap().boundary, Boundary::End);

    // Without headings, a blank line beats a sentence end, which beats a space.
    let text = "One sentence here. Another one follows here.\n\nA new paragraph starts.";
    let got = chunks(text, Encoding::O200kBase.count(text).count - 2, 0);
    assert!(
        text[got[1].start..].starts_with("A new paragraph"),
        "{got:?}"
    );
    let got = chunks(
        "One sentence goes on here. Another one follows it and goes on.",
        9,
        0,
    );
    assert_eq!(got[0].boundary, Boundary::Sentence, "{got:?}");
}

#[test]
fn a_line_break_inside_a_sentence_ranks_below_the_sentence_end() {
    // Text as a PDF gives it: lines wrapped mid-sentence. The cut goes at
    // a sentence end, not at the last wrapped line that fits.
    let wrapped = "The committee met on Tuesday to review the budget and\n\
        the plans for next year. Several members asked for more\n\
        detail on travel costs, which rose by a third. The chair\n\
        agreed to circulate the figures before the next meeting,\n\
        and the secretary took notes on every point raised.";
    let n = Encoding::O200kBase.count(wrapped).count;
    for max in [n * 2 / 3, n - 4] {
        let got = chunks(wrapped, max, 0);
        assert_eq!(got[0].boundary, Boundary::Sentence, "{max}: {got:?}");
        assert!(wrapped[..got[0].end].ends_with('.'), "{max}: {got:?}");
    }

    // Lines that stand alone keep their rank: a list, a line ending in a
    // full stop, a line starting with a capital, and CJK (no case).
    for text in [
        "- first item of the list\n- second item of the list\n- third item of the list\n- fourth item",
        "A first line that goes on for quite a while and then ends here.\nthen a short one",
        "a first line that goes on for quite a while with no end in sight\nThen a short one",
        "第一行的文字比较长一些\n第二行的文字也比较长一些\n第三行的文字",
    ] {
        let n = Encoding::O200kBase.count(text).count;
        let got = chunks(text, n - 2, 0);
        assert_eq!(got[0].boundary, Boundary::Line, "{text:?}: {got:?}");
    }
}

#[test]
fn chunks_are_at_least_half_full_unless_the_text_ends() {
    // The paragraph break comes after a quarter of the budget: cutting
    // there would leave the chunk three-quarters empty, so a weaker
    // boundary further on wins.
    let text = "Short opening line.\n\n".to_owned()
        + &"Then a long paragraph of many plain words goes on and on. ".repeat(20);
    let got = chunks(&text, 40, 0);
    assert!(got[0].tokens >= 20, "{got:?}");
    assert_ne!(got[0].boundary, Boundary::Paragraph);
    for c in &got[..got.len() - 1] {
        assert!(c.tokens * 2 >= 40, "{c:?}");
    }
}

#[test]
fn overlap_repeats_the_end_of_the_previous_chunk() {
    let text =
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi";
    let got = chunks(text, 6, 2);
    assert!(got.len() > 2);
    for pair in got.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        assert!(b.start < b.own_start && b.own_start == a.end, "{pair:?}");
        assert!(text[a.start..a.end].ends_with(&text[b.start..b.own_start]));
    }
}

#[test]
fn bad_options_are_refused() {
    let t = Encoding::O200kBase.tokenizer().unwrap();
    let err = chunk_text(
        t,
        "x",
        &ChunkOptions {
            max_tokens: 3,
            overlap: 0,
        },
    )
    .unwrap_err();
    assert_eq!(err, ChunkError::BudgetTooSmall(3));
    let err = chunk_text(
        t,
        "x",
        &ChunkOptions {
            max_tokens: 4,
            overlap: 4,
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("must be smaller"), "{err}");
    assert!(chunks("", 5, 0).is_empty());
}

#[test]
fn a_cut_inside_a_piece_never_splits_a_character_or_a_cluster() {
    let text = "👍🏽".repeat(50);
    for c in chunks(&text, 4, 0) {
        let body = &text[c.start..c.end];
        assert!(
            !body.starts_with('\u{1F3FD}'),
            "a skin tone was cut from its emoji"
        );
    }
}

mod tables {
    use super::*;
    use prompt_preflight::{chunk_table, ingest, Code, Input, Limits, Table};

    fn table(csv: &str) -> Table {
        ingest(
            &Input::File {
                name: Some("t.csv"),
                bytes: csv.as_bytes(),
            },
            &Limits::default(),
        )
        .table
        .unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        /// Every chunk starts with the header, rows are whole and in order,
        /// and every row is in exactly one chunk.
        #[test]
        fn rows_are_never_split(
            rows in proptest::collection::vec(("[a-zA-Z ]{0,30}", "[0-9]{1,6}", "[a-z@.]{0,20}"), 1..80),
            max in 20u64..300,
        ) {
            let mut csv = String::from("name,amount,email\n");
            for (a, b, c) in &rows {
                csv.push_str(&format!("{a},{b},{c}\n"));
            }
            let table = table(&csv);
            let t = Encoding::O200kBase.tokenizer().unwrap();
            let (chunks, issues) = chunk_table(t, &table, &[true, true, true], max).unwrap();
            let mut next = 0;
            for c in &chunks {
                prop_assert!(c.csv.starts_with("name,amount,email\n"));
                prop_assert_eq!(c.first_row, next);
                next = c.end_row;
                prop_assert_eq!(c.tokens, t.count(&c.csv));
                prop_assert!(c.tokens <= max || (c.over_budget && c.end_row == c.first_row + 1));
                let body: String = c.csv.lines().skip(1).map(|l| format!("{l}\n")).collect();
                let want = table.to_csv(&[true, true, true]);
                let want: String = want.lines().skip(1 + c.first_row).take(c.end_row - c.first_row).map(|l| format!("{l}\n")).collect();
                prop_assert_eq!(body, want);
            }
            prop_assert_eq!(next, table.rows.len());
            let over = chunks.iter().filter(|c| c.over_budget).count() as u64;
            prop_assert_eq!(issues.len(), usize::from(over > 0));
            if over > 1 {
                prop_assert_eq!(issues[0].count, Some(over));
            }
        }
    }

    #[test]
    fn a_row_too_large_goes_alone_with_an_issue() {
        let csv = format!(
            "name,notes\nAda,short\nGrace,{}\nAlan,short\n",
            "long note ".repeat(200)
        );
        let t = Encoding::O200kBase.tokenizer().unwrap();
        let (chunks, issues) = chunk_table(t, &table(&csv), &[true, true], 100).unwrap();
        assert_eq!(
            chunks
                .iter()
                .map(|c| (c.first_row, c.end_row, c.over_budget))
                .collect::<Vec<_>>(),
            [(0, 1, false), (1, 2, true), (2, 3, false)]
        );
        assert_eq!(issues[0].code, Code::RowTooLarge);
        assert!(
            issues[0].message.starts_with("One row is"),
            "{}",
            issues[0].message
        );
        assert_eq!(issues[0].at.as_ref().unwrap().row, Some(2));
        // Dropped columns are not in the chunks.
        let (chunks, _) = chunk_table(t, &table(&csv), &[true, false], 100).unwrap();
        assert!(chunks
            .iter()
            .all(|c| c.csv.starts_with("name\n") && !c.csv.contains("long note")));
        assert_eq!(chunks.len(), 1);
    }
}

mod json_arrays {
    use super::*;
    use prompt_preflight::{chunk_json_array, Code};

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(100))]

        /// Each chunk is a JSON array of whole elements, in order, with every
        /// element exactly once and as written.
        #[test]
        fn arrays_split_between_elements(
            items in proptest::collection::vec(("[a-z ]{0,20}", 0i64..100_000, proptest::bool::ANY), 0..60),
            max in 10u64..200,
        ) {
            let elements: Vec<String> = items
                .iter()
                .map(|(s, n, b)| format!("{{\"name\": {s:?}, \"n\": {n}, \"ok\": {b}}}"))
                .collect();
            let text = format!("[\n  {}\n]", elements.join(",\n  "));
            let t = Encoding::O200kBase.tokenizer().unwrap();
            let (chunks, issues) = chunk_json_array(t, &text, max).unwrap().expect("an array");
            let mut seen = Vec::new();
            for c in &chunks {
                let parsed: Vec<serde_json::Value> = serde_json::from_str(&c.json).unwrap();
                prop_assert_eq!(parsed.len(), c.end_item - c.first_item);
                prop_assert_eq!(c.tokens, t.count(&c.json));
                prop_assert!(c.tokens <= max || (c.over_budget && parsed.len() == 1));
                seen.extend(parsed);
            }
            let all: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(seen, all);
            prop_assert_eq!(issues.is_empty(), !chunks.iter().any(|c| c.over_budget));
        }
    }

    #[test]
    fn non_arrays_are_not_chunked_and_big_items_are_named() {
        let t = Encoding::O200kBase.tokenizer().unwrap();
        assert!(chunk_json_array(t, r#"{"a": 1}"#, 50).unwrap().is_none());
        assert!(chunk_json_array(t, "not json", 50).unwrap().is_none());
        let big = format!(r#"[1, "{}", 3]"#, "word ".repeat(100));
        let (chunks, issues) = chunk_json_array(t, &big, 20).unwrap().unwrap();
        assert_eq!(chunks.len(), 3);
        assert!(chunks[1].over_budget);
        assert_eq!(issues[0].code, Code::ItemTooLarge);
        assert!(
            issues[0].message.starts_with("Item 2 of the list"),
            "{}",
            issues[0].message
        );
    }
}
