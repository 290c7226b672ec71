//! Native chunking benchmark: Prompt Preflight's `chunk_text` side by side
//! with the `text-splitter` crate (`TextSplitter` with its `tiktoken-rs`
//! sizer), both counting `o200k_base` tokens, in one run.
//!
//! `make bench-chunking`, or
//! `cargo run --release --manifest-path benches/chunking/Cargo.toml --target-dir target/bench-chunking`.
//!
//! Sections (Markdown on stdout, progress on stderr):
//! 1. prose at 1 MB and 10 MB, and pathological inputs (CJK text, one-line
//!    minified JSON, random letters without spaces, one letter repeated)
//!    at 1 MB and — where an implementation finished 1 MB within the time
//!    budget — 10 MB, at chunk sizes of 64, 512 and 4,096 tokens;
//! 2. the time of 10 MB over the time of 1 MB (10 means linear);
//! 3. `text-splitter` with its default (trimming) configuration on prose.
//!
//! Every case runs in a fresh child process (this program, run with
//! `--case`), killed when its first timed run takes longer than
//! [`BUDGET`]. After timing, the child checks the chunks: ours must each
//! hold at most `max_tokens` tokens, report their exact count, and their
//! `own_start..end` ranges must concatenate to the input; `text-splitter`'s
//! chunks are counted with our tokenizer (the largest is reported) and,
//! untrimmed, must concatenate to the input too. A failed check is printed
//! as **FAIL** and makes the program exit with status 1 after the report.
//!
//! Sizes are binary: 1 MB = 1,048,576 bytes, also in MB/s.

use prompt_preflight::{chunk_text, ChunkOptions, Encoding};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};
use text_splitter::{ChunkConfig, TextSplitter};

/// One megabyte (binary).
const MB: usize = 1024 * 1024;
/// The input sizes, smallest first.
const SIZES: [usize; 2] = [MB, 10 * MB];
/// The chunk sizes measured, in tokens.
const MAX_TOKENS: [u64; 3] = [64, 512, 4096];
/// Seconds one timed run may take: a child whose first run takes longer is
/// killed, and that implementation is not run at larger sizes of the input.
const BUDGET: f64 = 20.0;
/// Seconds a child may take to build its input and load its tokenizer, and
/// then to check its chunks (neither is timed).
const SETUP_LIMIT: f64 = 180.0;
/// Extra runs (for the median) fill about this many seconds.
const REPEAT_SECS: f64 = 3.0;

/// Where the multilingual test corpus lives (the first that exists).
const CORPUS: [&str; 2] = [
    "tests/corpus/multilingual.txt",
    "tests/fixtures/tokens/multilingual.txt",
];

/// One of the implementations compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    /// Prompt Preflight's `chunk_text` (overlap 0).
    Ours,
    /// `text-splitter`'s `TextSplitter` with the `tiktoken-rs` sizer and
    /// `with_trim(false)`.
    Splitter,
    /// The same with its default configuration, which trims whitespace
    /// from both ends of every chunk.
    SplitterTrim,
}

impl Impl {
    /// Every implementation.
    const ALL: [Impl; 3] = [Impl::Ours, Impl::Splitter, Impl::SplitterTrim];

    /// The command-line name used for child processes.
    fn name(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Splitter => "text-splitter",
            Impl::SplitterTrim => "text-splitter-trim",
        }
    }

    fn from_name(name: &str) -> Option<Impl> {
        Impl::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// An input kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Input {
    /// English prose (README.md, BENCHMARKS.md and the corpus's English line).
    Prose,
    /// The corpus's Chinese and Japanese lines.
    Cjk,
    /// One line of minified JSON.
    Json,
    /// Random letters, no space or line break.
    NoSpaces,
    /// `a` repeated.
    Letter,
}

impl Input {
    /// Every kind, in report order.
    const ALL: [Input; 5] = [
        Input::Prose,
        Input::Cjk,
        Input::Json,
        Input::NoSpaces,
        Input::Letter,
    ];

    /// The command-line name.
    fn name(self) -> &'static str {
        match self {
            Input::Prose => "prose",
            Input::Cjk => "cjk",
            Input::Json => "json",
            Input::NoSpaces => "nospaces",
            Input::Letter => "letter",
        }
    }

    /// The row label.
    fn label(self) -> &'static str {
        match self {
            Input::Prose => "prose",
            Input::Cjk => "CJK",
            Input::Json => "minified JSON",
            Input::NoSpaces => "random letters, no spaces",
            Input::Letter => "`aaaa…`",
        }
    }

    fn from_name(name: &str) -> Option<Input> {
        Input::ALL.into_iter().find(|i| i.name() == name)
    }

    /// `size` bytes of this kind (at most `size`: cut at a character
    /// boundary, or after the last whole JSON record).
    fn make(self, size: usize) -> String {
        match self {
            Input::Prose => {
                let corpus = corpus();
                let english = corpus.lines().next().expect("the corpus starts in English");
                let prose = format!(
                    "{english}\n{}\n{}",
                    read_repo("README.md"),
                    read_repo("BENCHMARKS.md")
                );
                fill(&prose, size)
            }
            Input::Cjk => {
                let corpus = corpus();
                let is_cjk =
                    |c: char| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}');
                let cjk: Vec<&str> = corpus
                    .lines()
                    .filter(|l| l.chars().next().is_some_and(is_cjk))
                    .collect();
                assert!(cjk.len() >= 2, "the corpus has Chinese and Japanese lines");
                fill(&cjk.join("\n"), size)
            }
            Input::Json => json(size),
            Input::NoSpaces => {
                let mut rng = Rng(0x5EED_0000 + size as u64);
                let letters = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
                (0..size)
                    .map(|_| letters[rng.below(letters.len())] as char)
                    .collect()
            }
            Input::Letter => "a".repeat(size),
        }
    }
}

/// The multilingual test corpus.
fn corpus() -> String {
    CORPUS
        .iter()
        .find(|p| repo_root().join(p).is_file())
        .map(|p| read_repo(p))
        .unwrap_or_else(|| panic!("the multilingual corpus is missing (looked for {CORPUS:?})"))
}

/// `[{"id":1,"name":"customer 1",…},…]` with no whitespace, as many whole
/// records as fit in `size` bytes (values seeded).
fn json(size: usize) -> String {
    const CITIES: [&str; 6] = ["Lisbon", "Osaka", "Toronto", "Nairobi", "Lyon", "Austin"];
    const TAGS: [&str; 5] = ["vip", "eu", "trial", "churned", "b2b"];
    let mut rng = Rng(0x0015_0000 + size as u64);
    let mut out = String::with_capacity(size);
    out.push('[');
    let mut record = String::new();
    for id in 1.. {
        record.clear();
        if id > 1 {
            record.push(',');
        }
        let cents = rng.below(10_000_000);
        record.push_str(&format!(
            "{{\"id\":{id},\"name\":\"customer {id}\",\"email\":\"customer{id}@example.com\",\
             \"city\":\"{}\",\"balance\":{}.{:02},\"active\":{},\"tags\":[\"{}\",\"{}\"]}}",
            CITIES[rng.below(CITIES.len())],
            cents / 100,
            cents % 100,
            rng.below(2) == 0,
            TAGS[rng.below(TAGS.len())],
            TAGS[rng.below(TAGS.len())],
        ));
        if out.len() + record.len() + 1 > size {
            break;
        }
        out.push_str(&record);
    }
    out.push(']');
    out
}

/// A deterministic pseudo-random generator (SplitMix64).
struct Rng(u64);

impl Rng {
    /// The next 64 random bits.
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The repository root (two levels above this crate).
fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Reads a file of the repository as text.
fn read_repo(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path))
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// `seed` repeated (one line break between copies) and cut to at most
/// `size` bytes, at a character boundary.
fn fill(seed: &str, size: usize) -> String {
    assert!(!seed.is_empty());
    let mut text = String::with_capacity(size + seed.len() + 1);
    while text.len() < size {
        text.push_str(seed);
        text.push('\n');
    }
    let mut end = size;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text.truncate(end);
    text
}

/// Runs `f` once and returns its duration in seconds with its result.
fn timed<T>(f: impl FnOnce() -> T) -> (f64, T) {
    let start = Instant::now();
    let result = black_box(f());
    (start.elapsed().as_secs_f64(), result)
}

/// The median of `values` (sorted in place).
fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A duration in a readable unit.
fn fmt_secs(s: f64) -> String {
    if s < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if s < 0.01 {
        format!("{:.2} ms", s * 1e3)
    } else if s < 0.1 {
        format!("{:.1} ms", s * 1e3)
    } else if s < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else {
        format!("{:.2} s", s)
    }
}

/// A throughput in MB/s with sensible precision.
fn fmt_rate(bytes: usize, secs: f64) -> String {
    let rate = bytes as f64 / MB as f64 / secs;
    if rate >= 100.0 {
        format!("{rate:.0} MB/s")
    } else if rate >= 1.0 {
        format!("{rate:.1} MB/s")
    } else {
        format!("{rate:.3} MB/s")
    }
}

/// A speed ratio: `1.6×`, `23×`.
fn fmt_times(r: f64) -> String {
    if r < 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.0}×")
    }
}

/// A nominal size in MB.
fn fmt_size(bytes: usize) -> String {
    format!("{} MB", bytes / MB)
}

/// An integer with thousands separators.
fn fmt_int(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

// ---------------------------------------------------------------------------
// The child: one implementation, one input, one chunk size.
// ---------------------------------------------------------------------------

/// In a child process: builds the input, chunks it (timed), then checks
/// the chunks. Protocol on stdout, one line each: `start` just before the
/// first timed run, `first SECS` after it, `time MEDIAN RUNS` after the
/// repeats, then `result CHUNKS TOTAL_TOKENS MAX_TOKENS CHECK`
/// (tab-separated; CHECK is `ok` or what failed).
fn case_child(imp: Impl, input: Input, size: usize, max: u64) {
    let text = input.make(size);
    let ours = Encoding::O200kBase
        .tokenizer()
        .expect("native builds bundle the vocabularies");
    let options = ChunkOptions {
        max_tokens: max,
        overlap: 0,
    };
    let splitter = match imp {
        Impl::Ours => None,
        Impl::Splitter | Impl::SplitterTrim => {
            let config = ChunkConfig::new(max as usize)
                .with_sizer(tiktoken_rs::o200k_base().expect("tiktoken-rs loads o200k_base"))
                .with_trim(imp == Impl::SplitterTrim);
            Some(TextSplitter::new(config))
        }
    };
    // Warm-up on a few words: lazy statics (our character classes,
    // text-splitter's ICU segmenters) are not part of the timing.
    let warm = "Warm up. Two sentences.\n\nA paragraph.";
    match &splitter {
        None => drop(black_box(chunk_text(ours, warm, &options))),
        Some(s) => drop(black_box(s.chunk_indices(warm).count())),
    }

    enum Out<'t> {
        Ours(Vec<prompt_preflight::Chunk>),
        Splitter(Vec<(usize, &'t str)>),
    }
    let run = || match &splitter {
        None => Out::Ours(chunk_text(ours, &text, &options).expect("valid options")),
        Some(s) => Out::Splitter(s.chunk_indices(&text).collect()),
    };
    let mut stdout = std::io::stdout();
    writeln!(stdout, "start").unwrap();
    stdout.flush().unwrap();
    let (first, out) = timed(run);
    writeln!(stdout, "first\t{first}").unwrap();
    stdout.flush().unwrap();
    let mut times = vec![first];
    if first < REPEAT_SECS / 2.0 {
        let runs = ((REPEAT_SECS / first.max(1e-7)) as usize).clamp(2, 15);
        for _ in 0..runs {
            times.push(timed(run).0);
        }
    }
    let runs = times.len();
    writeln!(stdout, "time\t{}\t{runs}", median(&mut times)).unwrap();
    stdout.flush().unwrap();

    let (chunks, total, max_seen, check) = match out {
        Out::Ours(chunks) => check_ours(ours, &text, &chunks, max),
        Out::Splitter(chunks) => check_splitter(&text, &chunks, max, imp == Impl::SplitterTrim),
    };
    writeln!(stdout, "result\t{chunks}\t{total}\t{max_seen}\t{check}").unwrap();
}

/// Checks our chunks: at most `max` tokens each, the reported count exact,
/// and the `own_start..end` ranges concatenating to the input.
fn check_ours(
    tokenizer: &prompt_preflight::Tokenizer,
    text: &str,
    chunks: &[prompt_preflight::Chunk],
    max: u64,
) -> (usize, u64, u64, String) {
    let mut problems = Vec::new();
    let mut max_seen = 0;
    let mut total = 0;
    let mut over = 0;
    let mut wrong_count = 0;
    for c in chunks {
        max_seen = max_seen.max(c.tokens);
        total += c.tokens;
        if c.tokens > max {
            over += 1;
        }
        if tokenizer.count(&text[c.start..c.end]) != c.tokens {
            wrong_count += 1;
        }
    }
    if over > 0 {
        problems.push(format!("{over} chunk(s) over {max} tokens"));
    }
    if wrong_count > 0 {
        problems.push(format!("{wrong_count} chunk(s) with a wrong token count"));
    }
    let joined: String = chunks.iter().map(|c| &text[c.own_start..c.end]).collect();
    if joined != text {
        let at = joined
            .bytes()
            .zip(text.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        problems.push(format!(
            "own_start..end ranges join to {} bytes, not the {}-byte input (first difference at byte {at})",
            joined.len(),
            text.len()
        ));
    }
    let check = if problems.is_empty() {
        "ok".to_owned()
    } else {
        problems.join("; ")
    };
    (chunks.len(), total, max_seen, check)
}

/// Checks `text-splitter`'s chunks: counted with our tokenizer (it must
/// agree with tiktoken-rs, so none may exceed `max`) and, untrimmed,
/// concatenating to the input.
fn check_splitter(
    text: &str,
    chunks: &[(usize, &str)],
    max: u64,
    trimmed: bool,
) -> (usize, u64, u64, String) {
    let mut problems = Vec::new();
    let counts: Vec<u64> = chunks
        .iter()
        .map(|(_, s)| Encoding::O200kBase.count(s).count)
        .collect();
    let max_seen = counts.iter().copied().max().unwrap_or(0);
    let total = counts.iter().sum();
    let over = counts.iter().filter(|&&n| n > max).count();
    if over > 0 {
        problems.push(format!("{over} chunk(s) over {max} tokens"));
    }
    if !trimmed {
        let joined: String = chunks.iter().map(|(_, s)| *s).collect();
        let mut at = 0;
        let contiguous = chunks.iter().all(|&(offset, s)| {
            let ok = offset == at;
            at = offset + s.len();
            ok
        });
        if joined != text || !contiguous {
            problems.push(format!(
                "untrimmed chunks join to {} bytes, not the {}-byte input",
                joined.len(),
                text.len()
            ));
        }
    } else {
        let covered: usize = chunks.iter().map(|(_, s)| s.len()).sum();
        eprintln!(
            "  (trimmed: chunks cover {} of {} bytes)",
            fmt_int(covered as u64),
            fmt_int(text.len() as u64)
        );
    }
    let check = if problems.is_empty() {
        "ok".to_owned()
    } else {
        problems.join("; ")
    };
    (chunks.len(), total, max_seen, check)
}

// ---------------------------------------------------------------------------
// The parent: runs every case in a child and prints the report.
// ---------------------------------------------------------------------------

/// The outcome of one case.
#[derive(Debug, Clone)]
enum Outcome {
    /// Median seconds, chunks, their tokens added up, the most tokens in
    /// a chunk, the check.
    Done {
        secs: f64,
        chunks: u64,
        total: u64,
        max_seen: u64,
        check: String,
    },
    /// The first run took longer than [`BUDGET`]; the child was killed.
    TimedOut,
    /// Not run: the implementation took longer than [`BUDGET`] at a smaller
    /// size of this input.
    Skipped,
    /// The child failed (panicked, crashed or misbehaved).
    Failed(String),
}

impl Outcome {
    fn ok(&self) -> bool {
        matches!(self, Outcome::Done { .. })
    }
}

/// Waits for the next line starting with `tag` from the child and returns
/// its other fields; `Err("timeout")` after `limit` seconds, `Err("exited")`
/// when the child closed its output.
fn expect_line(lines: &Receiver<String>, tag: &str, limit: f64) -> Result<Vec<String>, String> {
    let deadline = Instant::now() + Duration::from_secs_f64(limit);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match lines.recv_timeout(left) {
            Ok(line) => {
                let fields: Vec<String> = line.split('\t').map(str::to_owned).collect();
                if fields[0] == tag {
                    return Ok(fields[1..].to_vec());
                }
            }
            Err(RecvTimeoutError::Timeout) => return Err("timeout".to_owned()),
            Err(RecvTimeoutError::Disconnected) => return Err("exited".to_owned()),
        }
    }
}

/// Runs one case in a child process.
fn run_case(imp: Impl, input: Input, size: usize, max: u64) -> Outcome {
    eprintln!(
        "{} {} {} max {max} …",
        imp.name(),
        input.name(),
        fmt_size(size)
    );
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let mut child = Command::new(exe)
        .args([
            "--case",
            imp.name(),
            input.name(),
            &size.to_string(),
            &max.to_string(),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the bench can run itself");
    let stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    let outcome = (|| {
        expect_line(&rx, "start", SETUP_LIMIT).map_err(|e| format!("set-up: {e}"))?;
        match expect_line(&rx, "first", BUDGET) {
            Ok(f) if f[0].parse::<f64>().unwrap_or(f64::INFINITY) > BUDGET => {
                return Ok(Outcome::TimedOut)
            }
            Ok(_) => {}
            Err(e) if e == "timeout" => return Ok(Outcome::TimedOut),
            Err(e) => return Err(format!("first run: {e}")),
        }
        let t = expect_line(&rx, "time", SETUP_LIMIT).map_err(|e| format!("repeats: {e}"))?;
        let r = expect_line(&rx, "result", SETUP_LIMIT).map_err(|e| format!("check: {e}"))?;
        Ok(Outcome::Done {
            secs: t[0].parse().map_err(|_| "bad time")?,
            chunks: r[0].parse().map_err(|_| "bad chunks")?,
            total: r[1].parse().map_err(|_| "bad total")?,
            max_seen: r[2].parse().map_err(|_| "bad max")?,
            check: r[3].clone(),
        })
    })()
    .unwrap_or_else(Outcome::Failed);
    if outcome.ok() {
        let _ = child.wait();
    } else {
        // Our own child, by its handle.
        let _ = child.kill();
        let _ = child.wait();
    }
    let err = err_thread.join().unwrap_or_default();
    for line in err.lines() {
        eprintln!("  {line}");
    }
    let outcome = match outcome {
        Outcome::Failed(why) => {
            let last = err
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("");
            Outcome::Failed(format!("{why} {last}").trim().to_owned())
        }
        other => other,
    };
    eprintln!("  -> {outcome:?}");
    outcome
}

/// The results of section 1: `[input][size][max][impl]`.
type Grid = Vec<Vec<Vec<Vec<Outcome>>>>;

/// Failed checks found, printed loudly.
struct Fails(Vec<String>);

impl Fails {
    fn note(&mut self, what: String) {
        eprintln!("!!! FAIL: {what}");
        self.0.push(what);
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 6 && args[1] == "--case" {
        let imp = Impl::from_name(&args[2]).expect("a known implementation");
        let input = Input::from_name(&args[3]).expect("a known input");
        let size = args[4].parse().expect("a size in bytes");
        let max = args[5].parse().expect("a chunk size in tokens");
        case_child(imp, input, size, max);
        return;
    }

    machine();
    let mut fails = Fails(Vec::new());
    let compared = [Impl::Ours, Impl::Splitter];
    let mut grid: Grid = Vec::new();
    for input in Input::ALL {
        let mut by_size = vec![vec![Vec::new(); MAX_TOKENS.len()]; SIZES.len()];
        for (m, &max) in MAX_TOKENS.iter().enumerate() {
            for imp in compared {
                let mut skip = false;
                for (s, &size) in SIZES.iter().enumerate() {
                    let outcome = if skip {
                        Outcome::Skipped
                    } else {
                        run_case(imp, input, size, max)
                    };
                    if !outcome.ok() {
                        skip = true;
                    }
                    by_size[s][m].push(outcome);
                }
            }
        }
        grid.push(by_size);
    }
    let trimmed: Vec<Outcome> = MAX_TOKENS
        .iter()
        .map(|&max| run_case(Impl::SplitterTrim, Input::Prose, MB, max))
        .collect();

    report(&grid, &mut fails);
    linearity(&grid);
    report_trim(&grid, &trimmed, &mut fails);

    if fails.0.is_empty() {
        println!("Every check passed.");
    } else {
        println!("> **{} FAIL(S)**:\n", fails.0.len());
        for f in &fails.0 {
            println!("> - **FAIL**: {f}");
        }
        std::process::exit(1);
    }
}

/// A time cell: `12.3 ms (81 MB/s)`, `> 20 s`, `not run` or `fails`.
fn time_cell(o: &Outcome, size: usize) -> String {
    match o {
        Outcome::Done { secs, .. } => format!("{} ({})", fmt_secs(*secs), fmt_rate(size, *secs)),
        Outcome::TimedOut => format!("> {BUDGET:.0} s"),
        Outcome::Skipped => "not run".to_owned(),
        Outcome::Failed(_) => "**fails**".to_owned(),
    }
}

/// The chunk count, then the mean and the largest chunk in tokens:
/// `1,234 (52 / 64)`, or a dash.
fn chunks_cell(o: &Outcome, max: u64) -> String {
    match o {
        Outcome::Done {
            chunks,
            total,
            max_seen,
            ..
        } => {
            let seen = if *max_seen > max {
                format!("**{}**", fmt_int(*max_seen))
            } else {
                fmt_int(*max_seen)
            };
            let mean = *total as f64 / (*chunks).max(1) as f64;
            format!("{} ({mean:.0} / {seen})", fmt_int(*chunks))
        }
        _ => "–".to_owned(),
    }
}

/// Records failed checks and failed children of one cell.
fn note_fails(fails: &mut Fails, imp: Impl, input: Input, size: usize, max: u64, o: &Outcome) {
    let what = format!(
        "{} on {} {} at {max} tokens",
        imp.name(),
        input.label(),
        fmt_size(size)
    );
    match o {
        Outcome::Done { check, .. } if check != "ok" => fails.note(format!("{what}: {check}")),
        Outcome::Failed(why) => fails.note(format!("{what}: the child failed: {why}")),
        _ => {}
    }
}

/// Section 1: the side-by-side table.
fn report(grid: &Grid, fails: &mut Fails) {
    println!("### 1. Chunking time\n");
    println!(
        "Time to chunk the whole input (median of 3–16 runs when one takes \
         under {:.1} s, else one run) and its throughput; then the number \
         of chunks with, in brackets, their mean and largest size in tokens \
         (`o200k_base`, counted by our tokenizer for both; the mean shows \
         how full the chunks are). The ratio is `text-splitter`'s time over \
         ours (above 1: ours is faster; `> N×` when `text-splitter` did not \
         finish within {BUDGET:.0} s). Ours is `chunk_text` with \
         `ChunkOptions {{ max_tokens, overlap: 0 }}`; `text-splitter` is \
         `TextSplitter::new(ChunkConfig::new(max_tokens).with_sizer(tiktoken_rs::o200k_base()?).with_trim(false))` \
         and `chunk_indices(text).collect()` (untrimmed, so both tile the \
         whole input). A case whose first run takes more than {BUDGET:.0} s \
         is killed (`> {BUDGET:.0} s`) and that implementation is not run on \
         the 10 MB input (`not run`). Ours is checked on every case: each \
         chunk at most `max_tokens`, its reported count exact, the \
         `own_start..end` ranges concatenating to the input; \
         `text-splitter`'s chunks must concatenate to the input too.\n",
        REPEAT_SECS / 2.0
    );
    println!(
        "Inputs: prose is the English line of `tests/corpus/multilingual.txt` \
         with `README.md` and `BENCHMARKS.md`, repeated; CJK is the corpus's \
         Chinese and Japanese lines, repeated; minified JSON is one line \
         `[{{\"id\":1,\"name\":\"customer 1\",…}},…]` of seeded records with no \
         whitespace; random letters are `A–Za–z` from a seeded PRNG with no \
         space or line break; `aaaa…` is one letter repeated.\n"
    );
    println!(
        "| input | size | max tokens | ours | chunks (mean / largest) | text-splitter | chunks (mean / largest) | text-splitter ÷ ours | ours check |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---|");
    for (input, by_size) in Input::ALL.iter().zip(grid) {
        for (s, &size) in SIZES.iter().enumerate() {
            for (m, &max) in MAX_TOKENS.iter().enumerate() {
                let cells = &by_size[s][m];
                let (ours, peer) = (&cells[0], &cells[1]);
                note_fails(fails, Impl::Ours, *input, size, max, ours);
                note_fails(fails, Impl::Splitter, *input, size, max, peer);
                let ratio = match (ours, peer) {
                    (Outcome::Done { secs: a, .. }, Outcome::Done { secs: b, .. }) => {
                        fmt_times(b / a)
                    }
                    (Outcome::Done { secs: a, .. }, Outcome::TimedOut | Outcome::Skipped) => {
                        format!("> {}", fmt_times(BUDGET / a))
                    }
                    _ => "–".to_owned(),
                };
                let check = match ours {
                    Outcome::Done { check, .. } if check == "ok" => "ok".to_owned(),
                    Outcome::Done { check, .. } => format!("**FAIL**: {check}"),
                    Outcome::Failed(why) => format!("**FAIL**: {why}"),
                    _ => "–".to_owned(),
                };
                println!(
                    "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    input.label(),
                    fmt_size(size),
                    fmt_int(max),
                    time_cell(ours, size),
                    chunks_cell(ours, max),
                    time_cell(peer, size),
                    chunks_cell(peer, max),
                    ratio,
                    check
                );
            }
        }
    }
    println!();
}

/// Section 2: 10 MB time over 1 MB time.
fn linearity(grid: &Grid) {
    println!("### 2. Linearity\n");
    println!(
        "Time for 10 MB ÷ time for 1 MB, from the table above: 10 is linear, \
         more is worse than linear.\n"
    );
    println!("| input | max tokens | ours | text-splitter |");
    println!("|---|---:|---:|---:|");
    for (input, by_size) in Input::ALL.iter().zip(grid) {
        for (m, &max) in MAX_TOKENS.iter().enumerate() {
            let ratio = |k: usize| match (&by_size[0][m][k], &by_size[1][m][k]) {
                (Outcome::Done { secs: a, .. }, Outcome::Done { secs: b, .. }) => {
                    format!("{:.1}", b / a)
                }
                (Outcome::Done { secs: a, .. }, Outcome::TimedOut) => {
                    format!("> {:.1}", BUDGET / a)
                }
                _ => "–".to_owned(),
            };
            println!(
                "| {} | {} | {} | {} |",
                input.label(),
                fmt_int(max),
                ratio(0),
                ratio(1)
            );
        }
    }
    println!();
}

/// Section 3: text-splitter trimming (its default) against untrimmed.
fn report_trim(grid: &Grid, trimmed: &[Outcome], fails: &mut Fails) {
    println!("### 3. `text-splitter` with its default trimming\n");
    println!(
        "`ChunkConfig` trims whitespace from both ends of every chunk by \
         default, so its chunks no longer tile the input; the table above \
         uses `with_trim(false)`. Here the default, on 1 MB of prose, beside \
         the untrimmed figures.\n"
    );
    println!(
        "| max tokens | untrimmed | chunks (mean / largest) | trimmed (default) | chunks (mean / largest) |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for (m, &max) in MAX_TOKENS.iter().enumerate() {
        let untrimmed = &grid[0][0][m][1];
        note_fails(
            fails,
            Impl::SplitterTrim,
            Input::Prose,
            MB,
            max,
            &trimmed[m],
        );
        println!(
            "| {} | {} | {} | {} | {} |",
            fmt_int(max),
            time_cell(untrimmed, MB),
            chunks_cell(untrimmed, max),
            time_cell(&trimmed[m], MB),
            chunks_cell(&trimmed[m], max)
        );
    }
    println!();
}

/// The output of a command, trimmed, or `None`.
fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// The version of `name` in this crate's `Cargo.lock`.
fn locked_version(name: &str) -> String {
    let lock = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock"))
        .unwrap_or_default();
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == format!("name = \"{name}\"") {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = ")) {
                return v.trim_matches('"').to_owned();
            }
        }
    }
    "?".to_owned()
}

/// Prints the title and the machine the figures were taken on.
fn machine() {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let nproc = command_output("nproc", &[]).unwrap_or_else(|| {
        std::thread::available_parallelism().map_or("?".to_owned(), |n| n.to_string())
    });
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next()?.parse::<f64>().ok())
        .map_or("?".to_owned(), |kib| {
            format!("{:.0}", kib / 1024.0 / 1024.0)
        });
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let load: Vec<&str> = load.split_whitespace().take(3).collect();
    let date = command_output("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default();
    let rustc = command_output("rustc", &["-V"]).unwrap_or_else(|| "rustc ?".to_owned());

    println!("## Chunking, native ({date})\n");
    println!(
        "Command: `make bench-chunking` (`benches/chunking/`, its own cargo \
         workspace, release build). Our `chunk_text` against `text-splitter` \
         {} (`TextSplitter` with its `tiktoken-rs` {} sizer), both on \
         `o200k_base`, one thread, each case in a fresh child process. 1 MB \
         = 1,048,576 bytes, also in MB/s.\n",
        locked_version("text-splitter"),
        locked_version("tiktoken-rs")
    );
    println!("### Machine\n");
    println!("- CPU: {cpu}; `nproc`: {nproc}; RAM: {mem_gb} GB");
    println!("- {rustc}");
    println!(
        "- Load average at start: {} (the cores are shared with other work; \
         treat differences under about 1.5× as noise)\n",
        load.join(" ")
    );
}
