//! The `preflight` binary: exit codes, output and error messages.

use prompt_preflight::Encoding;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the server crate is in the workspace")
        .to_owned()
}

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures").join(name)
}

fn contract_path() -> PathBuf {
    root().join("contracts/customer-list/1.0.0.toml")
}

fn preflight(args: &[&str]) -> Output {
    run_with_stdin(args, None)
}

fn run_with_stdin(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(bytes) = stdin {
        // The program may exit before reading its input (e.g. on a usage
        // error); a broken pipe here is not a test failure.
        let written = child.stdin.take().unwrap().write_all(bytes);
        if let Err(e) = written {
            assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
        }
    }
    child.wait_with_output().unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).expect("UTF-8 output")
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).expect("UTF-8 output")
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exited normally")
}

/// Writes a file into this test binary's scratch directory.
fn scratch(name: &str, content: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, content).unwrap();
    path
}

fn check(file: &str, extra: &[&str]) -> Output {
    let file = fixture(file);
    let contract = contract_path();
    let mut args = vec![
        "check",
        file.to_str().unwrap(),
        "--contract",
        contract.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    preflight(&args)
}

#[test]
fn check_ok_file_exits_0() {
    let out = check("customers_ok.csv", &[]);
    assert_eq!(code(&out), 0, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("customer-list 1.0.0"), "{text}");
    assert!(text.contains("5 rows x 5 columns"), "{text}");
    assert!(text.contains("ok: ready to send"), "{text}");
    assert!(stderr(&out).is_empty());
}

#[test]
fn check_missing_column_exits_1_and_names_it() {
    let out = check("customers_missing_email.csv", &[]);
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("'email'"), "{text}");
    assert!(text.contains("missing_column"), "{text}");
    assert!(text.contains("1 problem to fix"), "{text}");
}

#[test]
fn check_warnings_alone_exit_0() {
    let out = check("customers_extra_columns.csv", &[]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(stdout(&out).contains("warning:"));
    assert!(stdout(&out).contains("'notes'"));
}

#[test]
fn check_json_is_the_report() {
    let out = check("customers_missing_email.csv", &["--json"]);
    assert_eq!(code(&out), 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON output");
    assert_eq!(report["ok"], false);
    assert_eq!(report["input"]["kind"], "csv");
    assert_eq!(report["issues"][0]["code"], "missing_column");
    assert_eq!(report["issues"][0]["at"]["column"], "email");

    // It is exactly what the library reports for the same file.
    let contract =
        prompt_preflight::Contract::parse(&std::fs::read_to_string(contract_path()).unwrap())
            .unwrap();
    let bytes = std::fs::read(fixture("customers_missing_email.csv")).unwrap();
    let input = prompt_preflight::Input::File {
        name: Some("customers_missing_email.csv"),
        bytes: &bytes,
    };
    let direct = prompt_preflight::check(&contract, None, &input)
        .unwrap()
        .report;
    assert_eq!(report, serde_json::to_value(direct).unwrap());
}

#[test]
fn check_json_ok_file() {
    let out = check("customers_ok.csv", &["--json"]);
    assert_eq!(code(&out), 0);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["ok"], true);
    assert_eq!(report["tokens"]["tier"], "free");
}

#[test]
fn check_tier_changes_the_limit() {
    let out = check("long_prose.txt", &["--tier", "free"]);
    assert_eq!(code(&out), 1, "{}", stdout(&out));
    assert!(stdout(&out).contains("over_token_limit"));
    let out = check("long_prose.txt", &["--tier", "paid", "--json"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["tokens"]["limit"], 8000);
}

#[test]
fn check_reads_stdin() {
    let contract = contract_path();
    let bytes = std::fs::read(fixture("customers_missing_email.csv")).unwrap();
    let out = run_with_stdin(
        &["check", "-", "--contract", contract.to_str().unwrap()],
        Some(&bytes),
    );
    assert_eq!(code(&out), 1, "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("'email'"));
}

#[test]
fn check_a_workbook_that_crashed_the_reader_exits_1_with_a_report() {
    for file in [
        "sheet_xlsb_cells_empty_index.xlsb",
        "sheet_xlsb_workbook_record_overrun.xlsb",
    ] {
        let out = check(file, &[]);
        assert_eq!(code(&out), 1, "{file}: {}", stderr(&out));
        assert!(stdout(&out).contains("(corrupt_file)"), "{}", stdout(&out));
        assert!(
            stdout(&out).contains("an Excel binary workbook (.xlsb)"),
            "{}",
            stdout(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}

#[test]
fn count_and_chunk_say_why_a_file_has_nothing_to_count() {
    for (file, why) in [
        ("sheet_encrypted.xlsx", "protected with a password"),
        ("sheet_zip_bomb.xlsx", "unpacks to"),
        ("pdf_scanned_memo.pdf", "text"),
    ] {
        let path = fixture(file);
        for command in [vec!["count"], vec!["chunk", "--max-tokens", "100"]] {
            let mut args = command.clone();
            args.push(path.to_str().unwrap());
            let out = preflight(&args);
            assert_eq!(code(&out), 2, "{command:?} {file}: {}", stdout(&out));
            assert!(
                stderr(&out).contains(why),
                "{command:?} {file}: {}",
                stderr(&out)
            );
            assert!(
                stdout(&out).is_empty(),
                "{command:?} {file}: {}",
                stdout(&out)
            );
        }
    }
}

#[test]
fn a_reader_crash_is_logged_as_plain_text_with_the_reader_name() {
    // The pre-scans off (a test switch), calamine panics on this file: the
    // report says corrupt_file, and one plain log line says which reader.
    let out = check("sheet_xlsb_cells_empty_index.xlsb", &["--no-prescans"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("(corrupt_file)"), "{}", stdout(&out));
    let log = stderr(&out);
    assert!(log.contains("WARN"), "{log}");
    assert!(
        log.contains("the calamine reader crashed on this input"),
        "{log}"
    );
    assert!(
        !log.contains('\x1b'),
        "no colour codes when not a terminal: {log:?}"
    );
    assert!(!log.contains("panicked at"), "{log}");
}

#[test]
fn count_and_chunk_say_what_decoding_removed_and_chunk_ranges_are_file_bytes() {
    // A UTF-8 BOM, then sentences with a NUL byte in the middle.
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    for i in 0..40 {
        bytes.extend(format!("Sentence number {i} is here. ").as_bytes());
        if i == 10 {
            bytes.push(0);
        }
    }
    let path = std::env::temp_dir().join(format!("preflight-removed-{}.txt", std::process::id()));
    std::fs::write(&path, &bytes).unwrap();
    let file = path.to_str().unwrap();

    let out = preflight(&["count", file, "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["removed"]["characters"], 1);
    assert_eq!(json["removed"]["first_line"], 1);
    assert_eq!(json["bom"], "utf-8");
    assert!(
        stderr(&out).contains(
            "removed 1 character that is not text (first on line 1) and a utf-8 byte order mark"
        ),
        "{}",
        stderr(&out)
    );

    let out = preflight(&["chunk", file, "--max-tokens", "40", "--json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("byte ranges are into the file"),
        "{}",
        stderr(&out)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ranges"], "file");
    let mut joined = Vec::new();
    for c in json["chunks"].as_array().unwrap() {
        let (start, end) = (
            c["start"].as_u64().unwrap() as usize,
            c["end"].as_u64().unwrap() as usize,
        );
        let part = std::str::from_utf8(&bytes[start..end]).expect("ranges end on characters");
        assert!(!part.starts_with('\u{feff}'));
        joined.extend(part.bytes().filter(|&b| b != 0));
    }
    let text: Vec<u8> = bytes[3..].iter().copied().filter(|&b| b != 0).collect();
    assert_eq!(joined, text, "the file ranges give back the text");
    let _ = std::fs::remove_file(&path);
}

#[test]
fn prepare_relevant_without_a_question_is_a_usage_error() {
    let file = fixture("long_prose.txt");
    let contract = root().join("contracts/summarise-document/1.0.0.toml");
    let out = preflight(&[
        "prepare",
        file.to_str().unwrap(),
        "--contract",
        contract.to_str().unwrap(),
        "--mode",
        "relevant",
    ]);
    assert_eq!(code(&out), 2, "{}", stdout(&out));
    assert!(stderr(&out).contains("--question"), "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
}

#[test]
fn check_png_exits_1() {
    let out = check("image.png", &[]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("PNG image"));
}

#[test]
fn a_built_in_contract_can_be_named_by_its_id() {
    let by_id = preflight(&[
        "check",
        fixture("customers_missing_email.csv").to_str().unwrap(),
        "--contract",
        "customer-list@1.0.0",
        "--json",
    ]);
    let by_path = preflight(&[
        "check",
        fixture("customers_missing_email.csv").to_str().unwrap(),
        "--contract",
        contract_path().to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code(&by_id), 1, "{}", stderr(&by_id));
    assert_eq!(stdout(&by_id), stdout(&by_path));
    let out = preflight(&[
        "prepare",
        fixture("long_prose.txt").to_str().unwrap(),
        "--contract",
        "summarise-document",
    ]);
    assert_ne!(code(&out), 2, "{}", stderr(&out));
}

#[test]
fn prepare_prints_issues_as_check_does() {
    let file = fixture("long_prose.txt");
    let out = preflight(&[
        "prepare",
        file.to_str().unwrap(),
        "--contract",
        "customer-list",
    ]);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.contains("\nerror: Your file is 2,776 tokens; the free plan allows 2,000 per request. (over_token_limit)\n  what to do: "),
        "{text}"
    );
    assert!(!text.contains("Error: "), "{text}");
}

#[test]
fn check_without_a_contract_names_no_contract_model_or_price() {
    let out = preflight(&["check", fixture("prose.txt").to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("contract  none"), "{text}");
    assert!(!text.contains("no-contract"), "{text}");
    assert!(!text.contains("cost "), "{text}");
    assert!(!text.contains("gpt-"), "{text}");
    assert!(text.contains("tokens    131 (o200k_base)"), "{text}");
}

#[test]
fn missing_contract_file_exits_2() {
    let file = fixture("customers_ok.csv");
    let out = preflight(&[
        "check",
        file.to_str().unwrap(),
        "--contract",
        "/nonexistent/contract.toml",
    ]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("/nonexistent/contract.toml"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn missing_input_file_exits_2() {
    let contract = contract_path();
    let out = preflight(&[
        "check",
        "/nonexistent/input.csv",
        "--contract",
        contract.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("/nonexistent/input.csv"));
}

#[test]
fn invalid_contract_exits_2_and_names_the_field() {
    let source = std::fs::read_to_string(contract_path()).unwrap().replacen(
        "max_input_tokens = 2000",
        "max_input_tokens = 0",
        1,
    );
    let bad = scratch("cli-zero-tokens.toml", &source);
    let file = fixture("customers_ok.csv");
    let out = preflight(&[
        "check",
        file.to_str().unwrap(),
        "--contract",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("tiers.free.max_input_tokens"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn contract_syntax_error_exits_2() {
    let bad = scratch("cli-syntax.toml", "id = \"x\"\n[model\n");
    let file = fixture("customers_ok.csv");
    let out = preflight(&[
        "check",
        file.to_str().unwrap(),
        "--contract",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not valid TOML"), "{}", stderr(&out));
}

#[test]
fn json_contract_is_accepted() {
    let source = std::fs::read_to_string(contract_path()).unwrap();
    let contract = prompt_preflight::Contract::parse(&source).unwrap();
    let json = scratch(
        "cli-contract.json",
        &serde_json::to_string(&contract).unwrap(),
    );
    let file = fixture("customers_ok.csv");
    let out = preflight(&[
        "check",
        file.to_str().unwrap(),
        "--contract",
        json.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn unknown_tier_exits_2() {
    let out = check("customers_ok.csv", &["--tier", "gold"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("gold"), "{err}");
    assert!(err.contains("free, paid"), "{err}");
}

#[test]
fn unknown_flag_exits_2() {
    let out = check("customers_ok.csv", &["--frobnicate"]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--frobnicate"));
    let out = preflight(&["launch"]);
    assert_eq!(code(&out), 2);
    let out = preflight(&[]);
    assert_eq!(code(&out), 2);
}

#[test]
fn help_and_version_exit_0() {
    let out = preflight(&["--help"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains("check"));
    let out = preflight(&["--version"]);
    assert_eq!(code(&out), 0);
    assert!(stdout(&out).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn count_prints_the_library_count() {
    for file in ["prose.txt", "customers_ok.csv", "long_prose.txt"] {
        let path = fixture(file);
        let out = preflight(&["count", path.to_str().unwrap()]);
        assert_eq!(code(&out), 0, "{}", stderr(&out));
        let text = std::fs::read_to_string(&path).unwrap();
        let expected = Encoding::O200kBase.count(&text);
        assert!(expected.exact);
        assert_eq!(stdout(&out).trim(), expected.count.to_string(), "{file}");
    }
}

#[test]
fn count_reads_stdin() {
    let out = run_with_stdin(&["count", "-"], Some(b"Hello world"));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(stdout(&out).trim(), "2");
    let out = run_with_stdin(&["count", "-"], Some(b""));
    assert_eq!(stdout(&out).trim(), "0");
}

#[test]
fn count_with_cl100k() {
    let path = fixture("prose.txt");
    let text = std::fs::read_to_string(&path).unwrap();
    let out = preflight(&["count", "--encoding", "cl100k_base", path.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        stdout(&out).trim(),
        Encoding::Cl100kBase.count(&text).count.to_string()
    );
}

#[test]
fn count_json() {
    let out = run_with_stdin(&["count", "--json", "-"], Some(b"Hello world"));
    assert_eq!(code(&out), 0);
    let value: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        value,
        serde_json::json!({"count": 2, "encoding": "o200k_base", "exact": true})
    );
}

#[test]
fn count_unknown_encoding_exits_2() {
    let out = run_with_stdin(&["count", "--encoding", "nope", "-"], Some(b"Hello"));
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("nope"), "{err}");
    assert!(err.contains("o200k_base"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn count_missing_file_exits_2() {
    let out = preflight(&["count", "/nonexistent/file.txt"]);
    assert_eq!(code(&out), 2);
}

/// `count` decodes bytes as lossy UTF-8, so a UTF-16 or Windows-1252 file
/// gets a different count from `check`, which decodes it first.
#[test]

fn count_agrees_with_check_on_utf16() {
    let path = fixture("customers_utf16.csv");
    let out = preflight(&["count", path.to_str().unwrap()]);
    let checked = check("customers_utf16.csv", &["--json"]);
    let report: serde_json::Value = serde_json::from_slice(&checked.stdout).unwrap();
    assert_eq!(stdout(&out).trim(), report["tokens"]["input"].to_string());
}

#[test]
fn check_without_a_contract_runs_the_format_checks_and_counts() {
    let path = fixture("sheet_messy.xlsx");
    let out = Command::new(env!("CARGO_BIN_EXE_preflight"))
        .args(["check", path.to_str().unwrap(), "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["contract"]["id"], "no-contract");
    assert_eq!(report["input"]["kind"], "xlsx");
    assert_eq!(report["tokens"]["tier"], "default");
    assert!(report["tokens"]["input"].as_u64().unwrap() > 0);
    let codes: Vec<&str> = report["issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains(&"merged_cells") && codes.contains(&"formula_error"),
        "{codes:?}"
    );
    assert!(
        !codes.contains(&"missing_column"),
        "no schema without a contract"
    );
}

#[test]
fn chunk_splits_a_file_into_parts_that_fit_and_give_it_back() {
    let path = fixture("long_prose.txt");
    let out = preflight(&[
        "chunk",
        path.to_str().unwrap(),
        "--max-tokens",
        "300",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let chunks = json["chunks"].as_array().unwrap();
    assert!(chunks.len() >= 10, "2,776 tokens in parts of 300");
    let mut joined = String::new();
    for c in chunks {
        let (start, end) = (
            c["start"].as_u64().unwrap() as usize,
            c["end"].as_u64().unwrap() as usize,
        );
        let tokens = c["tokens"].as_u64().unwrap();
        assert!(tokens <= 300);
        assert_eq!(tokens, Encoding::O200kBase.count(&text[start..end]).count);
        joined.push_str(&text[start..end]);
    }
    assert_eq!(joined, text);

    // The text listing says where each part was cut, in words.
    let out = preflight(&["chunk", path.to_str().unwrap(), "--max-tokens", "300"]);
    let listing = stdout(&out);
    assert!(listing.contains("cut at "), "{listing}");
    for internal in ["Heading", "Paragraph", "Sentence", "Word", "Line"] {
        assert!(!listing.contains(&format!(" {internal} ")), "{listing}");
    }

    // A chunk size below one character's worth is a usage error.
    let out = preflight(&["chunk", path.to_str().unwrap(), "--max-tokens", "2"]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("at least 4 tokens"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn prepare_trims_a_table_and_prints_the_manifest() {
    let mut csv = String::from("name,email,private\n");
    for i in 0..20 {
        csv.push_str(&format!("Customer {i},c{i}@example.com,secret {i}\n"));
        csv.push_str(&format!("Customer {i},c{i}@example.com,secret {i}\n"));
    }
    let file = scratch("prepare.csv", &csv);
    let contract = contract_path();
    let out = preflight(&[
        "prepare",
        file.to_str().unwrap(),
        "--contract",
        contract.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("We removed 1 column you don't need and 20 duplicate rows: "),
        "{text}"
    );
    assert!(text.contains("This runs as one request"));
    assert!(text.contains("--- part 1 of 1"));
    assert!(!text.contains("secret 3\n"));
}

#[test]
fn prepare_json_splits_and_refuses_when_the_contract_needs_one_request() {
    let prose = std::fs::read_to_string(fixture("long_prose.txt")).unwrap();
    let file = scratch("prepare_long.txt", &prose);
    let contract = contract_path();
    let out = preflight(&[
        "prepare",
        file.to_str().unwrap(),
        "--contract",
        contract.to_str().unwrap(),
        "--mode",
        "split",
        "--json",
    ]);
    assert_eq!(code(&out), 1, "a refused plan exits 1");
    let body: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(body["plan"]["kind"], "refuse");
    assert!(body["parts"].as_array().unwrap().len() >= 2);
    let summarise = root().join("contracts/summarise-document/1.0.0.toml");
    let out = preflight(&[
        "prepare",
        file.to_str().unwrap(),
        "--contract",
        summarise.to_str().unwrap(),
        "--mode",
        "split",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let body: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(body["plan"]["kind"], "map_reduce");
    let out = preflight(&[
        "prepare",
        file.to_str().unwrap(),
        "--contract",
        summarise.to_str().unwrap(),
        "--mode",
        "shrink",
    ]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not a mode"));
}

#[test]
fn chunk_splits_tables_between_rows_and_json_between_elements() {
    let mut csv = String::from("name,email\n");
    for i in 0..200 {
        csv.push_str(&format!("Customer {i},c{i}@example.com\n"));
    }
    let path = scratch("chunk_table.csv", &csv);
    let out = preflight(&[
        "chunk",
        path.to_str().unwrap(),
        "--max-tokens",
        "120",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["kind"], "table");
    let chunks = json["chunks"].as_array().unwrap();
    let mut rows = 0;
    for c in chunks {
        let text = c["csv"].as_str().unwrap();
        assert!(text.starts_with("name,email\n"));
        assert!(c["tokens"].as_u64().unwrap() <= 120);
        rows += text.lines().count() - 1;
    }
    assert_eq!(rows, 200);

    let items: Vec<String> = (0..100).map(|i| format!("[{i}, \"x{i}\"]")).collect();
    let path = scratch("chunk_array.json", &format!("[{}]", items.join(",")));
    let out = preflight(&[
        "chunk",
        path.to_str().unwrap(),
        "--max-tokens",
        "50",
        "--json",
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["kind"], "json");
    let mut n = 0;
    for c in json["chunks"].as_array().unwrap() {
        n += serde_json::from_str::<Vec<serde_json::Value>>(c["json"].as_str().unwrap())
            .unwrap()
            .len();
    }
    assert_eq!(n, 100);

    // A row too large alone is its own chunk, with an issue, and exit 1.
    let path = scratch(
        "chunk_wide.csv",
        &format!("a,b\n1,{}\n2,x\n", "word ".repeat(80)),
    );
    let out = preflight(&["chunk", path.to_str().unwrap(), "--max-tokens", "20"]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("row_too_large"), "{}", stdout(&out));
    let out = preflight(&[
        "chunk",
        path.to_str().unwrap(),
        "--max-tokens",
        "20",
        "--overlap",
        "2",
    ]);
    assert_eq!(code(&out), 2);
}

#[test]
fn serve_refuses_a_configuration_it_cannot_use() {
    let out = preflight(&["serve", "--config", "/nonexistent/preflight.toml"]);
    assert_ne!(code(&out), 0);
    assert!(
        stderr(&out).contains("cannot read the configuration /nonexistent/preflight.toml"),
        "{}",
        stderr(&out)
    );

    let dir = std::env::temp_dir().join(format!("preflight-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("preflight.toml");
    std::fs::write(
        &file,
        "[providers.anthropic]\napi_key = \"sk-ant-secret\"\n",
    )
    .unwrap();
    let out = preflight(&["serve", "--config", file.to_str().unwrap()]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_ne!(code(&out), 0);
    let err = stderr(&out);
    assert!(
        err.contains("set ANTHROPIC_API_KEY in the environment"),
        "{err}"
    );
    assert!(!err.contains("sk-ant-secret"), "{err}");
}

#[test]
fn docs_writes_the_markdown_page_of_a_version() {
    // By id and version: that version's page, with the other versions in
    // its changelog.
    let out = preflight(&["docs", "customer-list@1.0.0"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let page = stdout(&out);
    assert!(page.starts_with("# customer-list 1.0.0\n"), "{page}");
    assert!(page.contains("<a id=\"missing_column\"></a>"));
    assert!(page.contains("## Changelog"), "{page}");
    assert!(
        page.contains("2.0.0"),
        "the changelog names the newer versions"
    );

    // By file: the same contract, without the other versions; `--out`
    // writes the page instead of printing it.
    let out_file = Path::new(env!("CARGO_TARGET_TMPDIR")).join("customer-list-1.0.0.md");
    let _ = std::fs::remove_file(&out_file);
    let out = preflight(&[
        "docs",
        contract_path().to_str().unwrap(),
        "--out",
        out_file.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stdout(&out).is_empty());
    let written = std::fs::read_to_string(&out_file).unwrap();
    assert!(written.starts_with("# customer-list 1.0.0\n"));
    assert!(written.contains("<a id=\"missing_column\"></a>"));

    // An unknown version names the ones there are.
    let out = preflight(&["docs", "customer-list@9.9.9"]);
    assert_eq!(code(&out), 2);
    let err = stderr(&out);
    assert!(err.contains("9.9.9") && err.contains("1.0.0"), "{err}");
}
