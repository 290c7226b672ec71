//! Native ingest throughput and peak memory, on the files that
//! `benches/make_data.py` writes into `target/bench-data/`.
//!
//! `cargo bench --bench ingest` (or `make bench`). Each file is measured in
//! a fresh child process, so the peak resident memory (VmHWM) is that
//! file's alone. Two figures per file: `ingest` (sniff, decode, parse) and
//! `check` (ingest plus the schema check and the exact token count). For
//! xlsb, also `ingest` without the pre-scan, to show what the scan costs.

use prompt_preflight::{check, ingest, Contract, Input, Limits};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

const FILES: &[&str] = &[
    "customers-1mb.csv",
    "customers-20mb.csv",
    "customers-100k.csv",
    "customers-10k.xlsx",
    "customers-100k.xlsx",
    "customers-100k.xlsb",
];
const RUNS: usize = 5;

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench-data")
}

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

/// Measures one file in this process and prints one tab-separated line.
fn measure(file: &str) {
    let bytes = std::fs::read(data_dir().join(file)).expect("run benches/make_data.py first");
    let contract = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
    // Room for the 20 MB file's tokens: the bench measures, it does not refuse.
    let limits = Limits::default();
    let input = Input::File {
        name: Some(file),
        bytes: &bytes,
    };
    let median = |f: &mut dyn FnMut()| {
        let mut times: Vec<f64> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                f();
                start.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[RUNS / 2]
    };
    let mut rows = 0;
    let ingest_s = median(&mut || rows = ingest(&input, &limits).info.rows.unwrap_or(0));
    let check_s = median(&mut || {
        check(&contract, Some("paid"), &input).unwrap();
    });
    let mb = bytes.len() as f64 / 1e6;
    let unscanned = if file.ends_with(".xlsb") {
        let s = median(&mut || {
            prompt_preflight::ingest::without_prescans(|| ingest(&input, &limits));
        });
        format!("\tingest without the pre-scan {:.1} ms", s * 1e3)
    } else {
        String::new()
    };
    println!(
        "{file}\t{:.1} MB\t{rows} rows\tingest {:.1} ms = {:.1} MB/s, {:.0} rows/s\tcheck {:.1} ms = {:.1} MB/s\tpeak RSS {:.1} MiB{unscanned}",
        mb,
        ingest_s * 1e3,
        mb / ingest_s,
        rows as f64 / ingest_s,
        check_s * 1e3,
        mb / check_s,
        peak_rss_kib() as f64 / 1024.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        measure(&args[i + 1]);
        return;
    }
    let me = std::env::current_exe().unwrap();
    for file in FILES {
        if !data_dir().join(file).exists() {
            eprintln!("missing {file}: run `python3 benches/make_data.py`");
            continue;
        }
        let out = Command::new(&me).args(["--one", file]).output().unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        eprint!("{}", String::from_utf8_lossy(&out.stderr));
    }
}
