//! `prepare` throughput: trimming, keeping the relevant sections and
//! splitting, on 1 MB and 10 MB of prose (with page headers and footers),
//! a 100,000-row CSV with duplicates and an unused column, and
//! pathological text (no spaces at all, a megabyte of `<`, deeply nested
//! markup). Each figure is the median of a few runs in this process; the
//! inputs are generated here, from fixed seeds.
//!
//! `cargo bench -p prompt-preflight --bench prepare` (or `make bench-prepare`),
//! which prints a Markdown table for BENCHMARKS.md.

use prompt_preflight::{prepare, Contract, Input, Mode, PrepareOptions};
use std::time::Instant;

const MB: usize = 1024 * 1024;

/// A document of `bytes` bytes: pages of varied prose, each with a header
/// and a "Page n" footer, pages separated by blank lines.
fn pages(bytes: usize) -> String {
    let words = [
        "renewal",
        "forecast",
        "invoice",
        "board",
        "survey",
        "customer",
        "harbour",
        "quarterly",
        "email",
        "draft",
        "analyst",
        "supplier",
        "meeting",
        "budget",
        "office",
        "contract",
    ];
    let mut out = String::with_capacity(bytes + 1024);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut page = 1;
    while out.len() < bytes {
        out.push_str("ACME Ltd — Annual Report 2026\n");
        for _ in 0..6 {
            for _ in 0..5 {
                let mut sentence = Vec::new();
                for _ in 0..12 {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    sentence.push(words[(seed % words.len() as u64) as usize]);
                }
                out.push_str(&sentence.join(" "));
                out.push_str(". ");
            }
            out.push('\n');
        }
        out.push_str(&format!("Page {page}\n\n"));
        page += 1;
    }
    out
}

fn csv_rows(rows: usize) -> String {
    let mut out = String::from("name,email,country,internal notes\n");
    for i in 0..rows {
        let n = if i % 4 == 3 { i - 1 } else { i };
        out.push_str(&format!(
            "Customer {n},c{n}@example.com,{},note {n} about the account\n",
            ["France", "Iceland", "Japan", "Peru"][n % 4]
        ));
    }
    out
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn contract(limit: u64) -> Contract {
    let mut c =
        Contract::parse(include_str!("../contracts/summarise-document/1.0.0.toml")).unwrap();
    c.tiers.get_mut("free").unwrap().max_input_tokens = limit;
    c.prepare.max_cell_chars = 200;
    c
}

fn main() {
    let table_contract = {
        let mut c = Contract::parse(include_str!("../contracts/customer-list/1.0.0.toml")).unwrap();
        c.prepare.long_input = prompt_preflight::contract::LongInput::MapReduce;
        c.tiers.get_mut("paid").unwrap().max_input_tokens = 100_000;
        c
    };
    let cases: Vec<(&str, String, bool)> = vec![
        ("prose with page headers", pages(MB), false),
        ("prose with page headers", pages(10 * MB), false),
        ("CSV, 100,000 rows", csv_rows(100_000), true),
        ("letters, no spaces", "abcdefghij".repeat(MB / 10), false),
        ("`<` repeated", "<".repeat(MB), false),
        ("nested tags `<a><a>…`", "<a>".repeat(MB / 3), false),
        ("`<a` without `>`", "<a".repeat(MB / 2), false),
        (
            "`<script>…</script>` repeated",
            "<script>x</script>y".repeat(MB / 19),
            false,
        ),
        (
            "CSV, one 1 MB cell",
            format!("name,email\n\"{}\",a@b.c\n", "word ".repeat(MB / 5)),
            true,
        ),
    ];
    let text_contract = contract(8_000);
    println!("| input | size | mode | time | MB/s | parts | tokens before → after | plan |");
    println!("|---|---:|---|---:|---:|---:|---|---|");
    for (name, input, is_table) in &cases {
        for mode in [Mode::Trim, Mode::Relevant, Mode::Split] {
            let (contract, tier, file) = if *is_table {
                (&table_contract, Some("paid"), Some("c.csv"))
            } else {
                (&text_contract, None, Some("doc.txt"))
            };
            let options = PrepareOptions {
                mode,
                question: Some("overdue invoices from the harbour supplier in Iceland".into()),
                ..PrepareOptions::default()
            };
            let run = || {
                let start = Instant::now();
                let p = prepare(
                    contract,
                    tier,
                    &Input::File {
                        name: file,
                        bytes: input.as_bytes(),
                    },
                    &options,
                )
                .unwrap();
                (start.elapsed().as_secs_f64(), p)
            };
            let (first, p) = run();
            let runs = if first < 1.0 { 5 } else { 1 };
            let mut times = vec![first];
            for _ in 1..runs {
                times.push(run().0);
            }
            let t = median(times);
            let mb = input.len() as f64 / MB as f64;
            println!(
                "| {name} | {} | {} | {} | {:.1} | {} | {} → {} | {:?} |",
                if input.len() >= 10 * MB {
                    "10 MB".to_owned()
                } else {
                    format!("{:.1} MB", mb)
                },
                serde_json::to_value(mode).unwrap().as_str().unwrap(),
                if t < 1.0 {
                    format!("{:.0} ms", t * 1000.0)
                } else {
                    format!("{t:.2} s")
                },
                mb / t,
                p.parts.len(),
                p.manifest.tokens_before,
                p.manifest.tokens_after,
                p.plan.kind,
            );
        }
    }
}
