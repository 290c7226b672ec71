//! PDF documents.

use super::*;

/// Pages without text; `all` when no page has any.
pub fn pdf_no_text_layer(pages: &[u64], total: u64) -> Issue {
    let mut issue = if pages.len() as u64 == total {
        catalogued(
            Code::PdfNoTextLayer,
            "This PDF looks like a scan: its pages are pictures, and we can't read text from images.".into(),
            None,
        )
    } else {
        let list: Vec<String> = pages.iter().take(10).map(u64::to_string).collect();
        let mut issue = catalogued(
            Code::PdfNoTextLayer,
            format!(
                "{} of {total} pages look like scans with no text we can read (page{} {}{}); the rest was read.",
                pages.len(),
                if pages.len() == 1 { "" } else { "s" },
                list.join(", "),
                if pages.len() > 10 { ", …" } else { "" }
            ),
            None,
        );
        issue.severity = Severity::Warning;
        issue
    };
    issue.count = Some(pages.len() as u64);
    issue
}

/// Garbled text on `pages`; `share` is the garbled share in percent.
pub fn pdf_garbled_text(pages: &[u64], share: u64) -> Issue {
    let list: Vec<String> = pages.iter().take(10).map(u64::to_string).collect();
    let issue = catalogued(
        Code::PdfGarbledText,
        format!(
            "The text on page{} {} looks garbled ({share}% of its characters are not letters, digits or punctuation we expect).",
            if pages.len() == 1 { "" } else { "s" },
            list.join(", ")
        ),
        None,
    );
    grouped_count(issue, pages.len() as u64)
}

/// A PDF that needs a password.
pub fn password_required() -> Issue {
    catalogued(
        Code::PasswordRequired,
        "This PDF is protected with a password, so we can't open it.".into(),
        None,
    )
}
