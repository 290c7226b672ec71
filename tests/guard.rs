#![cfg(not(target_arch = "wasm32"))]
//! The guard around third-party readers, shown with the very files that
//! crash calamine 0.38 (found by the fuzzers): the pre-scans refuse them;
//! with the pre-scans out of the way they reach calamine, which panics,
//! and the guard turns the panic into `corrupt_file`, logs it with the
//! reader's name, and the process goes on. Replaying the crashed call (the
//! browser's recovery after a trap) gives the same document.
//!
//! Its own test binary: the crash counter is per process.

use prompt_preflight::ingest::{reader_crashes, replaying_crash, without_prescans};
use prompt_preflight::{ingest, Code, Document, Input, Limits};
use std::sync::Mutex;

/// Every fixture that makes calamine panic when nothing stops it first,
/// and what the pre-scan says of it. (The last panics only in checked
/// builds, such as these tests: an overflow that release builds wrap.)
const CRASHERS: &[(&str, &str)] = &[
    (
        "sheet_xlsx_number_format_brackets.xlsx",
        "its formatting holds a number format that is not valid",
    ),
    (
        "sheet_xlsb_cells_empty_index.xlsb",
        "the data of sheet 'Sheet1' refers to cell text that is not in the file",
    ),
    (
        "sheet_xlsb_workbook_record_overrun.xlsb",
        "its list of sheets does not match its checksum",
    ),
    (
        "sheet_xlsb_sheet_link_overrun.xlsb",
        "its list of sheets has a record too short for what it says it holds",
    ),
];

/// The tests here share the crash counter and the logger.
static SERIAL: Mutex<()> = Mutex::new(());
static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Capture;

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata<'_>) -> bool {
        true
    }
    fn log(&self, record: &log::Record<'_>) {
        if record.target() == "prompt_preflight::reader" {
            LOGGED
                .lock()
                .unwrap()
                .push(format!("{}: {}", record.level(), record.args()));
        }
    }
    fn flush(&self) {}
}

fn read(name: &str) -> Document {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    ingest(
        &Input::File {
            name: Some(name),
            bytes: &bytes,
        },
        &Limits::default(),
    )
}

fn only_corrupt_file(doc: &Document) -> &str {
    let codes: Vec<Code> = doc.issues.iter().map(|i| i.code).collect();
    assert_eq!(codes, [Code::CorruptFile], "{:?}", doc.issues);
    let message = &doc.issues[0].message;
    assert!(
        message.starts_with("This file looks like an Excel binary workbook (.xlsb), but")
            || message.starts_with("This file looks like an Excel workbook (.xlsx), but"),
        "{message}"
    );
    message
}

#[test]
fn the_prescan_refuses_every_file_that_crashes_calamine() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let before = reader_crashes();
    for (file, detail) in CRASHERS {
        let doc = read(file);
        let message = only_corrupt_file(&doc);
        assert!(message.contains(detail), "{file}: {message}");
    }
    assert_eq!(reader_crashes(), before, "calamine was not reached");
}

#[test]
fn without_the_prescan_calamine_panics_and_the_guard_reports_it() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let _ = log::set_logger(&Capture);
    log::set_max_level(log::LevelFilter::Warn);
    for (file, detail) in CRASHERS {
        LOGGED.lock().unwrap().clear();
        let before = reader_crashes();
        let doc = without_prescans(|| read(file));
        assert_eq!(
            reader_crashes(),
            before + 1,
            "{file}: calamine panicked once"
        );
        let message = only_corrupt_file(&doc);
        // The guard's words (where calamine stopped), not the pre-scan's.
        assert!(!message.contains(detail), "{file}: {message}");
        assert!(message.contains("cannot be read"), "{file}: {message}");
        let logged = LOGGED.lock().unwrap().clone();
        assert_eq!(logged.len(), 1, "{file}: {logged:?}");
        assert!(
            logged[0].starts_with("WARN: the calamine reader crashed on this input ("),
            "{logged:?}"
        );
    }
    // And the thread is fine: the next good file reads as before.
    let good = read("sheet_calamine_base.xlsb");
    assert!(good.issues.iter().all(|i| i.code != Code::CorruptFile));
}

#[test]
fn replaying_the_crashed_call_gives_the_same_document_without_a_panic() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    for (file, _) in CRASHERS {
        let crashed = without_prescans(|| read(file));
        // The browser learns the call's number from the trace; here, try
        // each: one of them gives the crashed document without running the
        // reader that crashed (no panic).
        let call = (1..=40).find(|&call| {
            let before = reader_crashes();
            let replayed = without_prescans(|| replaying_crash(call, || read(file)));
            replayed == crashed && reader_crashes() == before
        });
        assert!(
            call.is_some(),
            "{file}: no replay gives the crashed document"
        );
    }
}
