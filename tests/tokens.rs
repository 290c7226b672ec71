//! Our tokenizer against the reference, `tiktoken-rs`: identical token ids
//! on a multilingual corpus of more than a megabyte per encoding, on
//! generated strings built from the characters the patterns treat
//! specially, and on pathological runs. Plus the meter and the early exit
//! against full counts.

use prompt_preflight::{Edit, Encoding, Meter, Tokenizer, Within};
use proptest::prelude::*;
use std::sync::OnceLock;
use tiktoken_rs::CoreBPE;

fn reference(encoding: Encoding) -> &'static CoreBPE {
    static O200K: OnceLock<CoreBPE> = OnceLock::new();
    static CL100K: OnceLock<CoreBPE> = OnceLock::new();
    match encoding {
        Encoding::O200kBase => O200K.get_or_init(|| tiktoken_rs::o200k_base().unwrap()),
        Encoding::Cl100kBase => CL100K.get_or_init(|| tiktoken_rs::cl100k_base().unwrap()),
        _ => unreachable!(),
    }
}

fn ours(encoding: Encoding) -> &'static Tokenizer {
    encoding.tokenizer().expect("bundled")
}

/// Asserts identical ids, naming the first piece of text where they differ.
fn assert_same(encoding: Encoding, text: &str) {
    let want = reference(encoding).encode_ordinary(text);
    let got = ours(encoding).encode(text);
    if want != got {
        let i = want.iter().zip(&got).take_while(|(a, b)| a == b).count();
        let r = reference(encoding);
        let at = r.decode_bytes(&want[..i]).unwrap().len();
        let context = String::from_utf8_lossy(&text.as_bytes()[at..(at + 40).min(text.len())]);
        panic!(
            "{encoding}: ids differ at token {i} (byte {at}, text {context:?}): \
             reference {:?}, ours {:?}",
            &want[i..(i + 5).min(want.len())],
            &got[i..(i + 5).min(got.len())]
        );
    }
}

/// A deterministic pseudo-random generator (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// More than a megabyte of prose in 30 languages and scripts, source code
/// and Markdown from this repository, emoji, white space of every kind,
/// digit runs, base64 and long runs of one letter, shuffled with a fixed
/// seed.
fn corpus() -> &'static str {
    static CORPUS: OnceLock<String> = OnceLock::new();
    CORPUS.get_or_init(|| {
        let root = env!("CARGO_MANIFEST_DIR");
        let prose =
            std::fs::read_to_string(format!("{root}/tests/corpus/multilingual.txt")).unwrap();
        let mut code = String::new();
        for dir in [
            "src",
            "src/tokens",
            "src/ingest",
            "server/src",
            "www",
            "tests/js",
        ] {
            let mut names: Vec<_> = std::fs::read_dir(format!("{root}/{dir}"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.is_file())
                .collect();
            names.sort();
            for p in names {
                code.push_str(&std::fs::read_to_string(p).unwrap_or_default());
            }
        }
        for doc in ["README.md", "BENCHMARKS.md"] {
            code.push_str(&std::fs::read_to_string(format!("{root}/{doc}")).unwrap());
        }
        let prose: Vec<&str> = prose.lines().collect();
        let code: Vec<&str> = code.lines().collect();
        let spaces = [
            " ", "  ", "\t", "\n", "\r\n", "\n\n", "\u{a0}", "\u{3000}", "   \n  ", "\r",
        ];
        let emoji = ["👋🏽", "👨‍👩‍👧‍👦", "🇫🇷", "❤️‍🔥", "🧑🏿‍💻", "🙂"];
        let b64 = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut rng = Rng(0x5EED_CAFE);
        let mut out = String::with_capacity(1_300_000);
        while out.len() < 1_200_000 {
            match rng.below(20) {
                0 => {
                    for _ in 0..1 + rng.below(300) {
                        out.push_str(rng.pick(&spaces));
                    }
                }
                1 => {
                    for _ in 0..1 + rng.below(60) {
                        out.push(char::from(b'0' + rng.below(10) as u8));
                    }
                }
                2 => {
                    for _ in 0..rng.below(3000) {
                        out.push(char::from(rng.pick(b64)));
                    }
                }
                3 => out.push_str(&"a".repeat(rng.below(5000))),
                4 => out.push_str(rng.pick(&emoji)),
                5..=12 => {
                    out.push_str(rng.pick(&prose));
                    out.push_str(rng.pick(&spaces));
                }
                _ => {
                    out.push_str(rng.pick(&code));
                    out.push_str(rng.pick(&spaces));
                }
            }
        }
        out
    })
}

#[test]
fn vocabularies_are_the_references_rank_for_rank() {
    for &encoding in Encoding::ALL {
        let r = reference(encoding);
        let t = ours(encoding);
        let n = match encoding {
            Encoding::O200kBase => 199_998,
            _ => 100_256,
        };
        for rank in 0..n {
            assert_eq!(
                t.decode(&[rank]),
                r.decode_bytes(&[rank]).unwrap(),
                "{encoding} rank {rank}"
            );
        }
    }
}

#[test]
fn corpus_is_large_and_multilingual() {
    let text = corpus();
    assert!(text.len() > 1_000_000, "{} bytes", text.len());
    for probe in [
        "人人生而自由",
        "Все люди",
        "يولد",
        "👨‍👩‍👧‍👦",
        "fn ",
        "\r\n",
        "\u{3000}",
    ] {
        assert!(text.contains(probe), "{probe}");
    }
}

#[test]
fn o200k_ids_match_the_reference_on_the_corpus() {
    let text = corpus();
    for line in text.split_inclusive('\n') {
        assert_same(Encoding::O200kBase, line);
    }
    assert_same(Encoding::O200kBase, text);
}

#[test]
fn cl100k_ids_match_the_reference_on_the_corpus() {
    let text = corpus();
    for line in text.split_inclusive('\n') {
        assert_same(Encoding::Cl100kBase, line);
    }
    assert_same(Encoding::Cl100kBase, text);
}

#[test]
fn pathological_runs_match_the_reference() {
    // Long runs without a pre-token boundary: quadratic in tiktoken's
    // regex, linear here. (The reference crashes on ~1M spaces, so these
    // stay at 200k.)
    let runs = [
        "a".repeat(200_000),
        " ".repeat(200_000) + "x",
        "\n".repeat(50_000) + "  \t" + &" ".repeat(1000),
        "9".repeat(200_000),
        "Ab".repeat(50_000),
        "é".repeat(50_000),
        "中".repeat(50_000),
        "🙂".repeat(20_000),
        "a\u{301}".repeat(30_000),
        "'s".repeat(30_000),
        "/".repeat(100_000) + "\n" + &"/".repeat(1000),
    ];
    for &encoding in Encoding::ALL {
        for run in &runs {
            assert_same(encoding, run);
        }
    }
}

/// Characters each pattern treats specially: letters of each case class,
/// marks, digits of several scripts, apostrophes and the letters of
/// contractions (with `ſ` and the Kelvin sign, which fold to `s` and `k`),
/// every kind of white space, `/`, punctuation, symbols and emoji.
fn tricky() -> impl Strategy<Value = String> {
    let alphabet: Vec<char> = "aAsStTdDmMlLvVeErRkKſ\u{212A}zZ \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{2028}\u{3000}'’/.,!?-_()[]{}\"0123٣४Ⅻ½éÉ\u{301}\u{300}\u{20dd}ǅʰ中日ㄱ한αΩж😀👍🏽\u{200d}#$%&*+<=>@\\^`|~"
        .chars()
        .collect();
    proptest::collection::vec(proptest::sample::select(alphabet), 0..60)
        .prop_map(|cs| cs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn generated_text_matches_the_reference(text in tricky()) {
        for &encoding in Encoding::ALL {
            prop_assert_eq!(
                ours(encoding).encode(&text),
                reference(encoding).encode_ordinary(&text),
                "{} on {:?}", encoding, text
            );
        }
    }

    #[test]
    fn any_string_matches_the_reference(text in "\\PC{0,40}") {
        for &encoding in Encoding::ALL {
            prop_assert_eq!(
                ours(encoding).encode(&text),
                reference(encoding).encode_ordinary(&text)
            );
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Long pieces (one word of thousands of letters, a run of spaces or of
    /// marks) are merged in windows and stitched: the seams must not show.
    #[test]
    fn long_pieces_match_the_reference(
        parts in proptest::collection::vec(
            proptest::sample::select(vec!["a", "b", "ab", "aa", "é", "ñ", "中", "\u{301}", "zz", "q"]),
            300..3000,
        ),
        spaces in 0usize..3000,
    ) {
        let word: String = parts.concat();
        let text = format!("{word}{}x{word}", " ".repeat(spaces));
        for &encoding in Encoding::ALL {
            prop_assert_eq!(
                ours(encoding).encode(&text),
                reference(encoding).encode_ordinary(&text)
            );
        }
    }
}

/// A document and edits to it: (start, delete, insert) in chars.
fn edits() -> impl Strategy<Value = (String, Vec<(usize, usize, String)>)> {
    let words = proptest::sample::select(vec![
        "Hello",
        " world",
        "\n",
        "\n\n",
        "  ",
        "don't",
        "'s",
        "a",
        "é",
        "中文",
        "。",
        "/",
        "x/y",
        "\r\n",
        " 123",
        "4567",
        "😀",
        "\u{301}",
        "\t",
        "The quick brown fox. ",
    ]);
    let text = proptest::collection::vec(words.clone(), 0..400).prop_map(|w| w.concat());
    let edit = (
        0usize..5000,
        0usize..40,
        proptest::collection::vec(words, 0..4).prop_map(|w| w.concat()),
    );
    (text, proptest::collection::vec(edit, 1..25))
}

fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The char index `i` (clamped) as a UTF-16 offset.
fn utf16_at(s: &str, i: usize) -> usize {
    utf16_len(&s.chars().take(i).collect::<String>())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn the_meter_equals_a_full_count_after_any_edits((text, edits) in edits()) {
        for &encoding in Encoding::ALL {
            let t = ours(encoding);
            for (prefix, suffix) in [("", ""), ("Summarise this:\n\n", "\n\nThanks")] {
                let mut meter = Meter::new(t, prefix, suffix);
                meter.set_text(&text);
                prop_assert_eq!(meter.count(), t.count(&format!("{prefix}{text}{suffix}")));
                let mut doc = text.clone();
                for (start, delete, insert) in &edits {
                    let chars = doc.chars().count();
                    let start = (*start).min(chars);
                    let end = (start + delete).min(chars);
                    let (s16, e16) = (utf16_at(&doc, start), utf16_at(&doc, end));
                    let a: String = doc.chars().take(start).collect();
                    let b: String = doc.chars().skip(end).collect();
                    doc = format!("{a}{insert}{b}");
                    let n = meter.edit(&Edit { start: s16, end: e16, text: insert.clone() });
                    prop_assert_eq!(meter.text(), doc.as_str());
                    prop_assert_eq!(n, t.count(&format!("{prefix}{doc}{suffix}")));
                }
                // Replacing the whole text keeps it exact too.
                let n = meter.set_text(&text);
                prop_assert_eq!(n, t.count(&format!("{prefix}{text}{suffix}")));
            }
        }
    }

    #[test]
    fn within_agrees_with_the_full_count(text in tricky(), limit in 0u64..40) {
        for &encoding in Encoding::ALL {
            let t = ours(encoding);
            let n = t.count(&text);
            match t.within(&text, limit) {
                Within::Yes(k) => prop_assert!(k == n && n <= limit),
                Within::No(k) => prop_assert!(n > limit && k > limit && k <= n),
            }
        }
    }
}

#[test]
fn a_large_document_is_counted_in_many_blocks_and_stays_exact() {
    let t = ours(Encoding::O200kBase);
    // The corpus holds the repository's own sources, so cut it at a
    // character boundary: byte 400,000 can fall inside one.
    let text = corpus();
    let text = &text[..text.floor_char_boundary_compat(400_000)];
    let mut meter = Meter::new(t, "", "");
    meter.set_text(text);
    assert!(meter.blocks() > 100, "{} blocks", meter.blocks());
    assert_eq!(meter.count(), t.count(text));
    // Typing in the middle, one character at a time.
    let mut doc = text.to_owned();
    let mid = utf16_len(&doc[..doc.floor_char_boundary_compat(200_000)]);
    for (i, c) in "Hello there, it's me.".chars().enumerate() {
        meter.edit(&Edit {
            start: mid + i,
            end: mid + i,
            text: c.to_string(),
        });
    }
    let at = doc.floor_char_boundary_compat(200_000);
    doc.insert_str(at, "Hello there, it's me.");
    assert_eq!(meter.text(), doc);
    assert_eq!(meter.count(), t.count(&doc));
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}
impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        i = i.min(self.len());
        while !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

#[test]
fn the_early_exit_reads_only_what_it_needs() {
    let t = ours(Encoding::O200kBase);
    let text = "The quick brown fox jumps over the lazy dog. ".repeat(25_000);
    assert_eq!(t.within(&text, 8_000), Within::No(8_001));
    let one_letter = "a".repeat(1_000_000);
    // Decided from the length alone: a million bytes is more than 8,000
    // tokens of at most 128 bytes.
    assert!(matches!(t.within(&one_letter, 7_000), Within::No(n) if n > 7_000));
    assert_eq!(t.within("", 0), Within::Yes(0));
}
