//! Native tokenizer benchmark: Prompt Preflight's own BPE engine side by
//! side with `tiktoken-rs` and `bpe-openai`, on `o200k_base` and
//! `cl100k_base`, in one run.
//!
//! `make bench-tokenizers`, or
//! `cargo run --release --manifest-path benches/tokenizers/Cargo.toml --target-dir target/bench-tokenizers`.
//!
//! Sections (Markdown on stdout, progress on stderr):
//! 1. throughput counting 1 MB of prose, source code and CJK text;
//! 2. pathological inputs (one letter, a whitespace run, random base64,
//!    digits) at 10 KB, 100 KB and 1 MB, as time per MB to show linearity;
//! 3. the early-exit question "is 1 MB within 8,000 tokens?";
//! 4. start-up time and peak memory, each in a fresh child process;
//! 5. the incremental [`Meter`]: keystroke latency against a full recount.
//!
//! Every real-text input is checked first: the three engines must produce
//! identical token ids. Any disagreement is printed as **MISMATCH** and
//! makes the program exit with status 1 after the report.
//!
//! Sizes are binary: 1 KB = 1,024 bytes, 1 MB = 1,048,576 bytes, also in
//! MB/s.

use prompt_preflight::{Edit, Encoding, Meter, Tokenizer, Within};
use std::cell::Cell;
use std::hint::black_box;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// One kilobyte (binary).
const KB: usize = 1024;
/// One megabyte (binary).
const MB: usize = 1024 * 1024;
/// Timed runs per throughput figure (the median is reported).
const RUNS: usize = 7;
/// A peer that takes longer than this (seconds) at one size is not run at
/// larger sizes.
const BUDGET: f64 = 5.0;
/// The token limit of the early-exit question.
const LIMIT: u64 = 8_000;
/// Single-character inserts (and as many deletes) per Meter document.
const EDITS: usize = 200;
/// Inserts (and deletes) on the one-block worst-case document, where each
/// keystroke recounts the whole document.
const WORST_EDITS: usize = EDITS / 4;
/// Fresh child processes per start-up figure (the median is reported).
const STARTUP_RUNS: usize = 5;
/// The encodings measured, in report order.
const ENCODINGS: [Encoding; 2] = [Encoding::O200kBase, Encoding::Cl100kBase];

/// Where the multilingual test corpus lives (the first that exists).
const CORPUS: [&str; 2] = [
    "tests/corpus/multilingual.txt",
    "tests/fixtures/tokens/multilingual.txt",
];
/// Disagreements found between the engines.
static MISMATCHES: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// Whether a panic is expected (inside [`quietly`]) and should not be
    /// printed by the panic hook.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// One of the implementations compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Impl {
    /// Prompt Preflight's engine (`prompt_preflight::Tokenizer`).
    Ours,
    /// The `tiktoken-rs` crate (OpenAI's `tiktoken` core in Rust).
    Tiktoken,
    /// The `bpe-openai` crate (GitHub's linear-time BPE).
    Bpe,
}

impl Impl {
    /// Every implementation, in column order.
    const ALL: [Impl; 3] = [Impl::Ours, Impl::Tiktoken, Impl::Bpe];

    /// The column heading.
    fn name(self) -> &'static str {
        match self {
            Impl::Ours => "ours",
            Impl::Tiktoken => "tiktoken-rs",
            Impl::Bpe => "bpe-openai",
        }
    }

    /// The command-line name used for child processes.
    fn from_name(name: &str) -> Option<Impl> {
        Impl::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// The three engines for one encoding, loaded once.
struct Engines {
    encoding: Encoding,
    ours: &'static Tokenizer,
    tiktoken: &'static tiktoken_rs::CoreBPE,
    bpe: &'static bpe_openai::Tokenizer,
}

impl Engines {
    /// Loads (or looks up) all three tokenizers for `encoding`.
    fn new(encoding: Encoding) -> Engines {
        let (tiktoken, bpe) = match encoding {
            Encoding::O200kBase => (
                tiktoken_rs::o200k_base_singleton(),
                bpe_openai::o200k_base(),
            ),
            Encoding::Cl100kBase => (
                tiktoken_rs::cl100k_base_singleton(),
                bpe_openai::cl100k_base(),
            ),
            other => panic!("no peer implementation of {other}"),
        };
        Engines {
            encoding,
            ours: encoding
                .tokenizer()
                .expect("native builds bundle the vocabularies"),
            tiktoken,
            bpe,
        }
    }

    /// The number of tokens in `text`; `None` when the implementation
    /// panicked.
    fn count(&self, imp: Impl, text: &str) -> Option<u64> {
        match imp {
            Impl::Ours => Some(self.ours.count(text)),
            Impl::Tiktoken => quietly(|| self.tiktoken.count_ordinary(text) as u64),
            Impl::Bpe => Some(self.bpe.count(text) as u64),
        }
    }

    /// The token ids of `text`; `None` when the implementation panicked.
    fn encode(&self, imp: Impl, text: &str) -> Option<Vec<u32>> {
        match imp {
            Impl::Ours => Some(self.ours.encode(text)),
            Impl::Tiktoken => quietly(|| self.tiktoken.encode_ordinary(text)),
            Impl::Bpe => Some(self.bpe.encode(text)),
        }
    }

    /// "Is `text` within `limit` tokens?", each the fastest way it can:
    /// our `within`, `bpe-openai`'s `count_till_limit`, and a full count
    /// for `tiktoken-rs`, which has no early exit. `None` when it panicked.
    fn is_within(&self, imp: Impl, text: &str, limit: u64) -> Option<bool> {
        match imp {
            Impl::Ours => Some(matches!(self.ours.within(text, limit), Within::Yes(_))),
            Impl::Tiktoken => quietly(|| self.tiktoken.count_ordinary(text) as u64 <= limit),
            Impl::Bpe => {
                // o200k_base and cl100k_base do not normalize: this borrows.
                let text = self.bpe.normalize(text);
                Some(self.bpe.count_till_limit(&text, limit as usize).is_some())
            }
        }
    }
}

/// Runs `f`, turning a panic into `None` without printing it (the
/// `tiktoken-rs` whitespace-run panic).
fn quietly<T>(f: impl FnOnce() -> T) -> Option<T> {
    QUIET.with(|q| q.set(true));
    let result = std::panic::catch_unwind(AssertUnwindSafe(f)).ok();
    QUIET.with(|q| q.set(false));
    result
}

/// Reports a disagreement between the engines, loudly, on both streams.
fn mismatch(what: &str) {
    MISMATCHES.fetch_add(1, Ordering::Relaxed);
    eprintln!("!!! MISMATCH: {what}");
    println!("\n> **MISMATCH**: {what}\n");
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

/// The nearest-rank percentile `p` (0–100) of `values` (sorted in place).
fn percentile(values: &mut [f64], p: usize) -> f64 {
    values.sort_by(f64::total_cmp);
    let rank = (values.len() * p).div_ceil(100).max(1);
    values[rank - 1]
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

/// A size in KB or MB.
fn fmt_size(bytes: usize) -> String {
    if bytes >= MB && bytes.is_multiple_of(MB) {
        format!("{} MB", bytes / MB)
    } else {
        format!("{} KB", bytes / KB)
    }
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

/// The real-text inputs: name and 1 MB of text.
fn real_texts() -> Vec<(&'static str, String)> {
    let corpus = CORPUS
        .iter()
        .find(|p| repo_root().join(p).is_file())
        .map(|p| read_repo(p))
        .unwrap_or_else(|| panic!("the multilingual corpus is missing (looked for {CORPUS:?})"));
    let english = corpus.lines().next().expect("the corpus starts in English");
    let prose = format!(
        "{english}\n{}\n{}",
        read_repo("README.md"),
        read_repo("BENCHMARKS.md")
    );

    let mut files = Vec::new();
    collect_rs(&repo_root().join("src"), &mut files);
    files.sort();
    let code: String = files
        .iter()
        .map(|f| std::fs::read_to_string(f).expect("source files are UTF-8"))
        .collect();

    let is_cjk = |c: char| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}');
    let cjk: Vec<&str> = corpus
        .lines()
        .filter(|l| l.chars().next().is_some_and(is_cjk))
        .collect();
    assert!(cjk.len() >= 2, "the corpus has Chinese and Japanese lines");

    vec![
        ("prose", fill(&prose, MB)),
        ("code", fill(&code, MB)),
        ("CJK", fill(&cjk.join("\n"), MB)),
    ]
}

/// Every `.rs` file under `dir`, recursively.
fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("src/ is readable") {
        let path = entry.expect("src/ is readable").path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A pathological input kind.
#[derive(Debug, Clone, Copy)]
enum Patho {
    /// One letter repeated: one pre-token the size of the input.
    Letter,
    /// Spaces, then one `x`: one whitespace run.
    Spaces,
    /// Random base64 characters (seeded).
    Base64,
    /// Random decimal digits (seeded).
    Digits,
}

impl Patho {
    /// Every kind, in report order.
    const ALL: [Patho; 4] = [Patho::Letter, Patho::Spaces, Patho::Base64, Patho::Digits];

    /// The row label.
    fn label(self) -> &'static str {
        match self {
            Patho::Letter => "`aaaa…`",
            Patho::Spaces => "spaces then `x`",
            Patho::Base64 => "random base64",
            Patho::Digits => "random digits",
        }
    }

    /// `size` bytes of this kind.
    fn make(self, size: usize) -> String {
        let mut rng = Rng(0x5EED_0000 + size as u64);
        let random = |alphabet: &[u8], rng: &mut Rng| -> String {
            (0..size)
                .map(|_| alphabet[rng.below(alphabet.len())] as char)
                .collect()
        };
        match self {
            Patho::Letter => "a".repeat(size),
            Patho::Spaces => format!("{}x", " ".repeat(size - 1)),
            Patho::Base64 => random(
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
                &mut rng,
            ),
            Patho::Digits => random(b"0123456789", &mut rng),
        }
    }
}

/// The outcome of timing one implementation on one input.
#[derive(Debug, Clone, Copy)]
enum Sample {
    /// Median seconds per call, and the count it returned.
    Time(f64, u64),
    /// It panicked (after this many seconds).
    Panicked(f64),
    /// Not run: it took longer than [`BUDGET`] at a smaller size.
    Skipped,
}

/// Times `f` on an input: a first call, then — when that took under half
/// a second — enough more calls to fill about a quarter of a second (3 to
/// 30), reporting their median.
fn sample(mut f: impl FnMut() -> Option<u64>) -> Sample {
    let (first, n) = timed(&mut f);
    let Some(n) = n else {
        return Sample::Panicked(first);
    };
    if first > 0.5 {
        return Sample::Time(first, n);
    }
    let runs = ((0.25 / first.max(1e-7)) as usize).clamp(3, 30);
    let mut times: Vec<f64> = (0..runs).map(|_| timed(&mut f).0).collect();
    Sample::Time(median(&mut times), n)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--startup" {
        startup_child(&args[2], &args[3]);
        return;
    }

    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if !QUIET.with(Cell::get) {
            default_hook(info);
        }
    }));

    machine();
    let texts = real_texts();
    let engines: Vec<Engines> = ENCODINGS.into_iter().map(Engines::new).collect();

    verify(&engines, &texts);
    throughput(&engines, &texts);
    pathological(&engines);
    early_exit(&engines, &texts);
    startup();
    meter(&engines, &texts[0].1);

    let mismatches = MISMATCHES.load(Ordering::Relaxed);
    if mismatches == 0 {
        println!("All three implementations agreed on every input that they finished.");
    } else {
        println!("> **{mismatches} MISMATCH(ES)**: see above.");
        std::process::exit(1);
    }
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

    println!("## Tokenizers, native ({date})\n");
    println!(
        "Command: `make bench-tokenizers` (`benches/tokenizers/`, its own cargo \
         workspace, release build). Our engine against `tiktoken-rs` {} and \
         `bpe-openai` {}, one thread. 1 KB = 1,024 bytes and 1 MB = 1,048,576 \
         bytes, also in MB/s.\n",
        locked_version("tiktoken-rs"),
        locked_version("bpe-openai")
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

/// Checks that all three engines produce identical token ids on every
/// real-text input, before anything is timed.
fn verify(engines: &[Engines], texts: &[(&str, String)]) {
    println!("### Equality check\n");
    println!("Token ids from all three implementations, compared before timing.\n");
    println!("| encoding | input | bytes | tokens | ids identical |");
    println!("|---|---|---:|---:|---|");
    for e in engines {
        for (name, text) in texts {
            eprintln!("verifying {} {name}", e.encoding);
            let ids: Vec<Option<Vec<u32>>> = Impl::ALL.iter().map(|&i| e.encode(i, text)).collect();
            let ours = ids[0].as_ref().expect("ours does not panic");
            let mut same = true;
            for (imp, other) in Impl::ALL.iter().zip(&ids).skip(1) {
                match other {
                    None => {
                        same = false;
                        mismatch(&format!("{} panicked on {} {name}", imp.name(), e.encoding));
                    }
                    Some(other) if other != ours => {
                        same = false;
                        let at = ours.iter().zip(other).take_while(|(a, b)| a == b).count();
                        mismatch(&format!(
                            "{} {name}: ours has {} tokens, {} has {} (first difference at token {at})",
                            e.encoding,
                            ours.len(),
                            imp.name(),
                            other.len()
                        ));
                    }
                    Some(_) => {}
                }
            }
            println!(
                "| {} | {name} | {} | {} | {} |",
                e.encoding,
                fmt_int(text.len() as u64),
                fmt_int(ours.len() as u64),
                if same { "yes" } else { "**NO**" }
            );
        }
    }
    println!();
}

/// Section 1: MB/s counting 1 MB of each real text.
fn throughput(engines: &[Engines], texts: &[(&str, String)]) {
    println!("### 1. Throughput counting 1 MB of text\n");
    println!(
        "MB/s, median of {RUNS} runs (the implementations take turns, so \
         background load hits them alike). Prose is the English line of \
         the multilingual test corpus (`tests/corpus/multilingual.txt`) with `README.md` and \
         `BENCHMARKS.md`, repeated; code is `src/**/*.rs` concatenated and \
         repeated; CJK is the corpus's Chinese and Japanese lines, repeated. \
         Counting is `count` (ours, `bpe-openai`) and `count_ordinary` \
         (`tiktoken-rs`).\n"
    );
    println!("| encoding | input | ours | tiktoken-rs | bpe-openai | ours ÷ fastest peer |");
    println!("|---|---|---:|---:|---:|---:|");
    for e in engines {
        for (name, text) in texts {
            eprintln!("throughput {} {name}", e.encoding);
            let mut times = vec![Vec::new(); Impl::ALL.len()];
            for imp in Impl::ALL {
                black_box(e.count(imp, text)); // warm-up
            }
            for _ in 0..RUNS {
                for (k, imp) in Impl::ALL.into_iter().enumerate() {
                    times[k].push(timed(|| e.count(imp, text)).0);
                }
            }
            let rates: Vec<f64> = times
                .iter_mut()
                .map(|t| text.len() as f64 / MB as f64 / median(t))
                .collect();
            let best_peer = rates[1].max(rates[2]);
            println!(
                "| {} | {name} | {:.1} | {:.1} | {:.1} | {:.2}× |",
                e.encoding,
                rates[0],
                rates[1],
                rates[2],
                rates[0] / best_peer
            );
        }
    }
    println!();
}

/// Section 2: pathological inputs at three sizes, as time per MB.
fn pathological(engines: &[Engines]) {
    const SIZES: [usize; 3] = [10 * KB, 100 * KB, MB];
    println!("### 2. Pathological inputs\n");
    println!(
        "Time per MB (time ÷ size in MB) counting one input: flat along a \
         column means linear. Median of 3–30 runs under half a second, else \
         one run. A peer that takes more than {BUDGET:.0} s at one size is \
         not run at larger sizes (`> 5 s`). `tiktoken-rs` panics on a \
         whitespace run of about a million characters (fancy-regex's \
         backtrack limit, unwrapped); it runs inside `catch_unwind` here, \
         and `panics` marks it.\n"
    );
    for e in engines {
        println!("**{}**\n", e.encoding);
        println!("| input | size | ours | tiktoken-rs | bpe-openai |");
        println!("|---|---|---:|---:|---:|");
        for kind in Patho::ALL {
            let inputs: Vec<String> = SIZES.iter().map(|&s| kind.make(s)).collect();
            let mut cells = vec![[Sample::Skipped; SIZES.len()]; Impl::ALL.len()];
            for (k, imp) in Impl::ALL.into_iter().enumerate() {
                for (s, text) in inputs.iter().enumerate() {
                    eprintln!(
                        "pathological {} {:?} {} {}",
                        e.encoding,
                        kind,
                        fmt_size(text.len()),
                        imp.name()
                    );
                    cells[k][s] = sample(|| e.count(imp, text));
                    let slow = match cells[k][s] {
                        Sample::Time(t, _) | Sample::Panicked(t) => t > BUDGET,
                        Sample::Skipped => false,
                    };
                    if slow {
                        break;
                    }
                }
            }
            for (s, text) in inputs.iter().enumerate() {
                let counts: Vec<Option<u64>> = cells
                    .iter()
                    .map(|c| match c[s] {
                        Sample::Time(_, n) => Some(n),
                        _ => None,
                    })
                    .collect();
                for (imp, n) in Impl::ALL.iter().zip(&counts).skip(1) {
                    if let (Some(ours), Some(n)) = (counts[0], n) {
                        if ours != *n {
                            mismatch(&format!(
                                "{} {} {}: ours counts {ours}, {} counts {n}",
                                e.encoding,
                                kind.label(),
                                fmt_size(text.len()),
                                imp.name()
                            ));
                        }
                    }
                }
                let mb = text.len() as f64 / MB as f64;
                let show = |c: Sample| match c {
                    Sample::Time(t, _) => format!("{}/MB", fmt_secs(t / mb)),
                    Sample::Panicked(_) => "panics".to_owned(),
                    Sample::Skipped => "> 5 s".to_owned(),
                };
                println!(
                    "| {} | {} | {} | {} | {} |",
                    kind.label(),
                    fmt_size(text.len()),
                    show(cells[0][s]),
                    show(cells[1][s]),
                    show(cells[2][s])
                );
            }
        }
        println!();
    }
}

/// Section 3: "is 1 MB within 8,000 tokens?".
fn early_exit(engines: &[Engines], texts: &[(&str, String)]) {
    println!(
        "### 3. Early exit: is 1 MB within {} tokens?\n",
        fmt_int(LIMIT)
    );
    println!(
        "Ours: `within(text, {LIMIT})`; `bpe-openai`: `count_till_limit`; \
         `tiktoken-rs` has no early exit, so a full `count_ordinary`. Median \
         of {RUNS} runs; every answer must be \"no\".\n"
    );
    println!("| encoding | input | ours | tiktoken-rs | bpe-openai |");
    println!("|---|---|---:|---:|---:|");
    for e in engines {
        for (name, text) in texts {
            eprintln!("early exit {} {name}", e.encoding);
            let mut cells = Vec::new();
            for imp in Impl::ALL {
                let answer = e.is_within(imp, text, LIMIT);
                if answer != Some(false) {
                    mismatch(&format!(
                        "{} {name}: {} answered {answer:?} to \"within {LIMIT}?\"",
                        e.encoding,
                        imp.name()
                    ));
                }
                let mut times: Vec<f64> = (0..RUNS)
                    .map(|_| timed(|| e.is_within(imp, text, LIMIT)).0)
                    .collect();
                cells.push(fmt_secs(median(&mut times)));
            }
            println!(
                "| {} | {name} | {} | {} | {} |",
                e.encoding, cells[0], cells[1], cells[2]
            );
        }
    }
    println!();
}

/// Peak resident memory of this process so far, in KiB (VmHWM).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// In a fresh child process: loads one tokenizer from nothing and counts
/// "Hello, world!" with it, then prints the seconds that took and the peak
/// resident memory in KiB. `imp` may also be `none` (the process alone).
fn startup_child(imp: &str, encoding: &str) {
    let encoding: Encoding = encoding.parse().expect("a known encoding");
    let text = "Hello, world!";
    let start = Instant::now();
    let n = match (Impl::from_name(imp), encoding) {
        (None, _) => 0,
        (Some(Impl::Ours), Encoding::O200kBase) => {
            let t = Tokenizer::from_bytes(include_bytes!("../../data/o200k_base.bin")).unwrap();
            black_box(t).count(text)
        }
        (Some(Impl::Ours), Encoding::Cl100kBase) => {
            let t = Tokenizer::from_bytes(include_bytes!("../../data/cl100k_base.bin")).unwrap();
            black_box(t).count(text)
        }
        (Some(Impl::Tiktoken), Encoding::O200kBase) => {
            let t = tiktoken_rs::o200k_base().unwrap();
            black_box(t).count_ordinary(text) as u64
        }
        (Some(Impl::Tiktoken), Encoding::Cl100kBase) => {
            let t = tiktoken_rs::cl100k_base().unwrap();
            black_box(t).count_ordinary(text) as u64
        }
        (Some(Impl::Bpe), Encoding::O200kBase) => bpe_openai::o200k_base().count(text) as u64,
        (Some(Impl::Bpe), Encoding::Cl100kBase) => bpe_openai::cl100k_base().count(text) as u64,
        (Some(_), other) => panic!("no start-up case for {other}"),
    };
    let secs = start.elapsed().as_secs_f64();
    black_box(n);
    println!("{secs}\t{}", peak_rss_kib());
}

/// Section 4: start-up time and peak memory, in fresh child processes.
fn startup() {
    println!("### 4. Start-up\n");
    println!(
        "Each figure is from a fresh child process (median of \
         {STARTUP_RUNS}): the time from nothing to the first count of \"Hello, \
         world!\" — ours `Tokenizer::from_bytes` on the embedded \
         `data/*.bin`, `tiktoken_rs::o200k_base()` / `cl100k_base()`, and \
         the first use of `bpe-openai`'s lazy static — and the process's \
         peak resident memory (VmHWM) after it. The `none` row is the bench \
         process alone.\n"
    );
    println!(
        "| implementation | start-up o200k | start-up cl100k | peak RSS o200k | peak RSS cl100k |"
    );
    println!("|---|---:|---:|---:|---:|");
    let exe = std::env::current_exe().expect("the bench knows its own path");
    let names = std::iter::once("none").chain(Impl::ALL.iter().map(|i| i.name()));
    for name in names {
        let mut row = vec![String::new(); 4];
        for (k, encoding) in ENCODINGS.into_iter().enumerate() {
            eprintln!("start-up {name} {encoding}");
            let mut secs = Vec::new();
            let mut kib = Vec::new();
            for _ in 0..STARTUP_RUNS {
                let out = Command::new(&exe)
                    .args(["--startup", name, encoding.name()])
                    .output()
                    .expect("the bench can run itself");
                let line = String::from_utf8_lossy(&out.stdout).to_string();
                let mut fields = line.split_whitespace();
                match (
                    fields.next().and_then(|f| f.parse::<f64>().ok()),
                    fields.next().and_then(|f| f.parse::<f64>().ok()),
                ) {
                    (Some(s), Some(k)) if out.status.success() => {
                        secs.push(s);
                        kib.push(k);
                    }
                    _ => eprintln!(
                        "start-up child {name} {encoding} failed: {}",
                        String::from_utf8_lossy(&out.stderr)
                    ),
                }
            }
            if secs.is_empty() {
                row[k] = "failed".to_owned();
                row[k + 2] = "failed".to_owned();
                continue;
            }
            row[k] = if name == "none" {
                "–".to_owned()
            } else {
                fmt_secs(median(&mut secs))
            };
            row[k + 2] = format!("{:.1} MB", median(&mut kib) / 1024.0);
        }
        println!(
            "| {name} | {} | {} | {} | {} |",
            row[0], row[1], row[2], row[3]
        );
    }
    println!();
}

/// Section 5: the incremental Meter against full recounts.
fn meter(engines: &[Engines], prose: &str) {
    println!("### 5. Meter: keystroke latency\n");
    println!(
        "Our `Meter` holds the document; {EDITS} single-character inserts at \
         random positions (seeded), then {EDITS} single-character deletes, \
         each timed alone (median / 95th percentile). The peers have no \
         incremental mode: a keystroke costs them a full recount of the \
         document (median of 5). `set_text` is the first load of the \
         document into the meter. The last rows are the worst case: no safe \
         boundary, so the document is one block ({WORST_EDITS} inserts and deletes, \
         inserting only `a`). After the edits the meter's count is checked against a full count by all three.\n"
    );
    println!(
        "| encoding | document | blocks | `set_text` | insert | delete | full count: ours | tiktoken-rs | bpe-openai |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    let cut = |size: usize| {
        let mut end = size.min(prose.len());
        while !prose.is_char_boundary(end) {
            end -= 1;
        }
        prose[..end].to_owned()
    };
    let letters = "a".repeat(MB);
    let docs = [
        ("100 KB prose", cut(100 * KB), EDITS, "etaoin shrdlu,."),
        ("1 MB prose", cut(MB), EDITS, "etaoin shrdlu,."),
        // Inserting only `a` keeps it one block.
        ("1 MB of `a`", letters, WORST_EDITS, "a"),
    ];
    for e in engines {
        for (name, doc, edits, alphabet) in &docs {
            eprintln!("meter {} {name}", e.encoding);
            let mut meter = Meter::new(e.ours, "", "");
            let (load, _) = timed(|| meter.set_text(doc));
            let blocks = meter.blocks();
            let mut rng = Rng(0xC0FFEE);
            let alphabet: Vec<char> = alphabet.chars().collect();
            let mut inserts = Vec::with_capacity(*edits);
            let mut deletes = Vec::with_capacity(*edits);
            for _ in 0..*edits {
                let len = meter.text().encode_utf16().count();
                let at = rng.below(len + 1);
                let edit = Edit {
                    start: at,
                    end: at,
                    text: alphabet[rng.below(alphabet.len())].to_string(),
                };
                inserts.push(timed(|| meter.edit(&edit)).0);
            }
            check_meter(e, &meter, name, "inserts");
            for _ in 0..*edits {
                let len = meter.text().encode_utf16().count();
                let at = rng.below(len);
                let edit = Edit {
                    start: at,
                    end: at + 1,
                    text: String::new(),
                };
                deletes.push(timed(|| meter.edit(&edit)).0);
            }
            check_meter(e, &meter, name, "deletes");
            let recounts: Vec<String> = Impl::ALL
                .iter()
                .map(|&imp| {
                    let mut times: Vec<f64> =
                        (0..5).map(|_| timed(|| e.count(imp, doc)).0).collect();
                    fmt_secs(median(&mut times))
                })
                .collect();
            let stat = |v: &mut Vec<f64>| {
                let m = median(v);
                format!("{} / {}", fmt_secs(m), fmt_secs(percentile(v, 95)))
            };
            println!(
                "| {} | {name} | {} | {} | {} | {} | {} | {} | {} |",
                e.encoding,
                fmt_int(blocks as u64),
                fmt_secs(load),
                stat(&mut inserts),
                stat(&mut deletes),
                recounts[0],
                recounts[1],
                recounts[2]
            );
        }
    }
    println!();
}

/// Checks the meter's running count against a full count by every engine.
fn check_meter(e: &Engines, meter: &Meter, doc: &str, after: &str) {
    let text = meter.text();
    for imp in Impl::ALL {
        let full = e.count(imp, text);
        if full != Some(meter.count()) {
            mismatch(&format!(
                "{} meter on {doc} after {after}: meter says {}, {} counts {full:?}",
                e.encoding,
                meter.count(),
                imp.name()
            ));
        }
    }
}
