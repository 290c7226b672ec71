//! The core's modules form layers, and data flows one way through them: no
//! module may use a module above it, so no import cycle can come back.
//!
//! The test reads `src/` as text: every `crate::…` path and every
//! `super::…` path that reaches the crate root, with the root's re-exports
//! (`crate::Issue`) resolved to the module that defines them. Comments and
//! string literals are skipped. It fails naming the file and the names that
//! break the order.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The core's modules, lowest first. A module may use only modules listed
/// before it. A new module must be placed here.
#[rustfmt::skip]
const LAYERS: &[&str] = &[
    // Leaves: text helpers, languages, and the plain data every layer shares.
    "words", "language", "types", "error", "progress",
    // Counting tokens, the model catalogue, and the contract.
    "tokens", "catalogue", "contract",
    // Every user-facing sentence.
    "messages",
    // bytes → ingest → schema → trim → tokens and budget → prepare → report.
    "ingest", "schema", "trim", "budget", "payload", "report", "chunk", "check", "prepare",
    // Documentation pages generated from a contract and the catalogues.
    "docs",
    // The browser's translation of types.
    "wasm",
];

#[test]
fn no_module_uses_a_module_above_it() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let uses = module_uses(&src);
    let rank = |m: &str| LAYERS.iter().position(|l| *l == m);
    let mut wrong = Vec::new();
    for (from, to, file, name) in &uses {
        match (rank(from), rank(to)) {
            (Some(a), Some(b)) if b < a => {}
            (None, _) => wrong.push(format!("module `{from}` is not in LAYERS")),
            (_, None) => wrong.push(format!("module `{to}` is not in LAYERS")),
            _ => wrong.push(format!(
                "{file} uses `{name}` from `{to}`, which is not below `{from}`"
            )),
        }
    }
    wrong.sort();
    wrong.dedup();
    assert!(
        wrong.is_empty(),
        "the layers are broken:\n  {}",
        wrong.join("\n  ")
    );
    assert!(
        uses.len() > 50,
        "the scan found only {} uses: is it still reading the code?",
        uses.len()
    );
}

#[test]
fn the_scan_sees_what_it_must() {
    // A check that cannot fail proves nothing: feed the scanner a cycle.
    let dir = std::env::temp_dir().join(format!("layers-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("a")).unwrap();
    std::fs::write(dir.join("lib.rs"), "mod a;\nmod b;\npub use b::Thing;\n").unwrap();
    std::fs::write(
        dir.join("a.rs"),
        "mod inner;\n// crate::c::Ignored in a comment\nconst S: &str = \"crate::c::X\";\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("a/inner.rs"),
        "use crate::{Thing, b::{More}};\nuse super::super::b::Other;\nfn f() -> char { '\"' }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("b.rs"),
        "pub struct Thing;\nfn g() { crate::a::h(); }\n",
    )
    .unwrap();
    let uses: BTreeSet<(String, String, String)> = module_uses(&dir)
        .into_iter()
        .map(|(from, to, _, name)| (from, to, name))
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    let want: BTreeSet<(String, String, String)> = [
        ("a", "b", "Thing"),
        ("a", "b", "b"),
        ("a", "b", "b"),
        ("b", "a", "a"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(uses, want);
}

/// Every use of one top-level module by another: (from, to, file, name).
fn module_uses(src: &Path) -> Vec<(String, String, String, String)> {
    let mut files = Vec::new();
    collect(src, &mut files);
    let reexports = root_reexports(&std::fs::read_to_string(src.join("lib.rs")).unwrap());
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| module_path(src, f).first().cloned())
        .collect();
    let mut uses = Vec::new();
    for file in &files {
        let path = module_path(src, file);
        let Some(from) = path.first() else { continue };
        let shown = file.strip_prefix(src.parent().unwrap()).unwrap().display();
        let tokens = tokens(&std::fs::read_to_string(file).unwrap());
        for name in root_names(&tokens, path.len()) {
            let to = if modules.contains(&name) {
                name.clone()
            } else if let Some(m) = reexports.get(&name) {
                m.clone()
            } else {
                panic!("{shown}: `crate::{name}` is neither a module nor a root re-export");
            };
            if &to != from {
                uses.push((from.clone(), to, shown.to_string(), name));
            }
        }
    }
    uses
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `src/a/b.rs` is module `a::b`; `src/lib.rs` is the root (empty).
fn module_path(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts == ["lib"] {
        Vec::new()
    } else {
        parts
    }
}

/// The names a file reaches at the crate root: `X` of `crate::X`, of each
/// item of `crate::{X, Y::Z}`, and of `super::…::X` where the supers climb
/// to the root from a module `depth` deep.
fn root_names(tokens: &[String], depth: usize) -> Vec<String> {
    let mut names = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        let start = i;
        // Leave `i` on the token after the path's root and its `::`.
        let at_root = if tokens[i] == "crate" && tokens.get(i + 1).is_some_and(|t| t == "::") {
            i += 2;
            true
        } else if tokens[i] == "super" && (i == 0 || tokens[i - 1] != "::") {
            let mut supers = 0;
            while tokens.get(i).is_some_and(|t| t == "super")
                && tokens.get(i + 1).is_some_and(|t| t == "::")
            {
                supers += 1;
                i += 2;
            }
            supers > 0 && supers >= depth
        } else {
            false
        };
        if !at_root {
            i = start + 1;
            continue;
        }
        {
            if tokens.get(i).is_some_and(|t| t == "{") {
                let mut level = 0;
                let mut expect = true;
                while let Some(t) = tokens.get(i) {
                    match t.as_str() {
                        "{" => {
                            level += 1;
                            expect = level == 1;
                        }
                        "}" => {
                            level -= 1;
                            if level == 0 {
                                break;
                            }
                        }
                        "," if level == 1 => expect = true,
                        t if expect && level == 1 && is_ident(t) => {
                            names.push(t.to_owned());
                            expect = false;
                        }
                        _ => {}
                    }
                    i += 1;
                }
            } else if let Some(t) = tokens.get(i).filter(|t| is_ident(t)) {
                names.push(t.clone());
            }
        }
        i += 1;
    }
    names
}

fn is_ident(t: &str) -> bool {
    t.chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
}

/// What `pub use m::{A, B as C};` at the root makes available: name → `m`.
fn root_reexports(lib: &str) -> BTreeMap<String, String> {
    let tokens = tokens(lib);
    let mut map = BTreeMap::new();
    let mut i = 0;
    while i + 2 < tokens.len() {
        if tokens[i] == "pub" && tokens[i + 1] == "use" {
            let module = tokens[i + 2].clone();
            let mut j = i + 3;
            let mut last = None;
            while let Some(t) = tokens.get(j) {
                if t == ";" {
                    break;
                }
                if t == "," || t == "}" {
                    if let Some(name) = last.take() {
                        map.insert(name, module.clone());
                    }
                } else if is_ident(t) && t != "as" && t != "self" {
                    last = Some(t.clone());
                }
                j += 1;
            }
            if let Some(name) = last {
                map.insert(name, module.clone());
            }
            i = j;
        }
        i += 1;
    }
    map
}

/// Identifiers and the punctuation `::`, `{`, `}`, `,`, `;`, without
/// comments, strings and character literals.
fn tokens(source: &str) -> Vec<String> {
    let s: Vec<char> = source.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        let next = s.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < s.len() && s[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut level = 0;
            while i < s.len() {
                if s[i] == '/' && s.get(i + 1) == Some(&'*') {
                    level += 1;
                    i += 2;
                } else if s[i] == '*' && s.get(i + 1) == Some(&'/') {
                    level -= 1;
                    i += 2;
                    if level == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && raw_string(&s, i + 1) {
            i += 1;
            let mut hashes = 0;
            while s[i] == '#' {
                hashes += 1;
                i += 1;
            }
            i += 1;
            loop {
                if i >= s.len() {
                    break;
                }
                if s[i] == '"' && (0..hashes).all(|k| s.get(i + 1 + k) == Some(&'#')) {
                    i += 1 + hashes;
                    break;
                }
                i += 1;
            }
        } else if c == '"' {
            i += 1;
            while i < s.len() && s[i] != '"' {
                i += if s[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
        } else if c == '\'' {
            // A character literal ('x', '\n', '\u{1F600}') or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < s.len() && s[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if s.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < s.len() && (s[i].is_alphanumeric() || s[i] == '_') {
                i += 1;
            }
            out.push(s[start..i].iter().collect());
        } else if c == ':' && next == Some(':') {
            out.push("::".to_owned());
            i += 2;
        } else {
            if matches!(c, '{' | '}' | ',' | ';') {
                out.push(c.to_string());
            }
            i += 1;
        }
    }
    out
}

/// Whether the `r` before `at`, at the start of a token, opens a raw
/// string (`r"`, `r#"`) rather than a raw identifier (`r#type`).
fn raw_string(s: &[char], at: usize) -> bool {
    let mut i = at;
    while s.get(i) == Some(&'#') {
        i += 1;
    }
    s.get(i) == Some(&'"')
}
