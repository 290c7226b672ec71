//! What a file is and whether it can be read at all: empty, unsupported, damaged, encrypted, too large, in an unexpected encoding or language.

use super::*;

/// The input has no content.
pub fn empty_input(is_file: bool) -> Issue {
    let message = if is_file {
        "The file is empty: there is nothing in it to check."
    } else {
        "There is nothing to check yet: the text is empty."
    };
    let e = Code::EmptyInput.entry();
    make(Code::EmptyInput, message.into(), e.hint.into(), None)
}

/// The file is of a kind we cannot read. `looks_like` names it.
pub fn unsupported_format(looks_like: &str) -> Issue {
    catalogued(
        Code::UnsupportedFormat,
        format!("This file looks like {looks_like}, which we can't read."),
        None,
    )
}

/// The contract wants a table but got free text.
pub fn table_expected(columns: &[&str]) -> Issue {
    let mut issue = make(
        Code::WrongInputKind,
        "This task needs a table, but what you sent is plain text.".into(),
        format!(
            "Upload a CSV file whose first row names the columns: {}.",
            columns.join(", ")
        ),
        None,
    );
    issue.example = Some(columns.join(","));
    issue
}

/// Typed text that only asks (a question, a request) for a contract that
/// works on a table: `columns` are the required ones, `example` a header
/// and a row of example values.
pub fn question_without_data(columns: &[&str], example: String) -> Issue {
    let mut issue = make(
        Code::QuestionWithoutData,
        "This looks like a question, but the data it is about is missing: this task works on a table, and there is none in your text.".into(),
        format!(
            "Add the data under your question: paste the table (its first row naming the columns {}), or drop a file (CSV or Excel).",
            crate::words::and_list(&columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
        ),
        None,
    );
    issue.example = Some(example);
    issue
}

/// The file name's extension says `named`, the content is `actual`.
pub fn extension_mismatch(extension: &str, actual: &str) -> Issue {
    catalogued(
        Code::ExtensionMismatch,
        format!(
            "The file is named .{extension}, but it is really {actual}. We read it as {actual}."
        ),
        None,
    )
}

/// Non-text characters (e.g. NUL bytes) in text, first at `line`.
pub fn binary_content(count: u64, line: u64) -> Issue {
    let issue = catalogued(
        Code::BinaryContent,
        format!(
            "The text has {} that {} not text (such as NUL bytes), first at line {line}; {} removed.",
            plural(count, "character", "characters"),
            if count == 1 { "is" } else { "are" },
            if count == 1 { "it was" } else { "they were" }
        ),
        Some(Location::line(line)),
    );
    grouped_count(issue, count)
}

/// A password-protected file; `what` names it, e.g. "an Excel workbook".
pub fn encrypted_file(what: &str) -> Issue {
    catalogued(
        Code::EncryptedFile,
        format!("This file is {what} protected with a password, so we can't open it."),
        None,
    )
}

/// A damaged file: `what` names the format, `detail` says what we saw.
pub fn corrupt_file(what: &str, detail: &str) -> Issue {
    catalogued(
        Code::CorruptFile,
        format!("This file looks like {what}, but it is damaged or incomplete: {detail}."),
        None,
    )
}

/// The text's language (`name`) is not among `accepted`.
pub fn language_not_supported(name: &str, accepted: &[String]) -> Issue {
    make(
        Code::LanguageNotSupported,
        format!("Your text seems to be in {name}, which this task does not handle."),
        format!("Send the text in {}.", accepted.join(" or ")),
        None,
    )
}

/// A compressed file (xlsx, ods) that would unpack to more than allowed.
pub fn too_large_unpacked(unpacked: u64, max: u64) -> Issue {
    make(
        Code::TooLarge,
        {
            let (unpacked, max) = compared_sizes(unpacked, max);
            format!("Your file is small, but it unpacks to {unpacked}; the most we unpack is {max}.")
        },
        "Send a smaller file, or save it as CSV. A file that unpacks to far more than its size can be a trap (a \"zip bomb\").".into(),
        None,
    )
}

/// The encoding was guessed. `label` is the WHATWG label used; the advice
/// names the script the guess is about and how to save that kind of file.
pub fn encoding_guessed(label: &str, kind: InputKind) -> Issue {
    let upper = label.to_uppercase();
    let (name, letters) = match label {
        "windows-1252" | "iso-8859-1" | "iso-8859-15" => (
            "Windows-1252 (Western European)".to_owned(),
            "accented letters such as é, ü or ñ",
        ),
        "windows-1250" | "iso-8859-2" => (
            format!("{upper} (Central European)"),
            "letters such as ł, č or ő",
        ),
        "windows-1251" | "koi8-r" | "koi8-u" | "ibm866" | "iso-8859-5" => {
            (format!("{upper} (Cyrillic)"), "Cyrillic letters")
        }
        "windows-1253" | "iso-8859-7" => (format!("{upper} (Greek)"), "Greek letters"),
        "windows-1254" | "iso-8859-9" => {
            (format!("{upper} (Turkish)"), "letters such as ş, ğ or ı")
        }
        "windows-1255" | "iso-8859-8" => (format!("{upper} (Hebrew)"), "Hebrew letters"),
        "windows-1256" | "iso-8859-6" => (format!("{upper} (Arabic)"), "Arabic letters"),
        "windows-874" => (format!("{upper} (Thai)"), "Thai letters"),
        "shift_jis" | "euc-jp" | "iso-2022-jp" => {
            (format!("{upper} (Japanese)"), "Japanese characters")
        }
        "gbk" | "gb18030" => (
            format!("{upper} (Simplified Chinese)"),
            "Chinese characters",
        ),
        "big5" => (
            "Big5 (Traditional Chinese)".to_owned(),
            "Chinese characters",
        ),
        "euc-kr" => ("EUC-KR (Korean)".to_owned(), "Korean characters"),
        _ => (upper.clone(), "some characters"),
    };
    let save = match kind {
        InputKind::Csv => {
            "save the file again as \"CSV UTF-8\" (in Excel: File > Save As, then CSV UTF-8)"
        }
        _ => "save the file again with the UTF-8 encoding (most editors offer it under Save As)",
    };
    make(
        Code::EncodingGuessed,
        format!("Your file is not saved as UTF-8, so we read it as {name}."),
        format!("If {letters} look wrong, {save}."),
        None,
    )
}

/// The file is bigger than the limit.
pub fn too_large(bytes: u64, max: u64) -> Issue {
    catalogued(
        Code::TooLarge,
        {
            let (bytes, max) = compared_sizes(bytes, max);
            format!("Your file is {bytes}; the most we accept is {max}.")
        },
        None,
    )
}
