//! Typed text that only asks: a question or a request, with no data in it.
//!
//! A contract that works on a table (a customer list) and also accepts
//! notes gets, typed into its box, sometimes only the question the user
//! has about the data ("Which customers asked about discounts?"). Sent
//! like that, the model has nothing to work on.

/// The most words a text that only asks has: past this, it is notes.
const MAX_WORDS: usize = 40;

/// Words that open a question or a request in English.
const OPENERS: &[&str] = &[
    "which",
    "what",
    "who",
    "whom",
    "whose",
    "when",
    "where",
    "why",
    "how",
    "is",
    "are",
    "do",
    "does",
    "did",
    "can",
    "could",
    "should",
    "would",
    "will",
    "list",
    "show",
    "find",
    "tell",
    "give",
    "summarise",
    "summarize",
    "analyse",
    "analyze",
    "compare",
    "explain",
];

/// Whether `text` is one short line that asks (ends with a question mark,
/// or opens with a question or request word) and carries no data: no
/// digits, no e-mail address, no separators of a table.
///
/// ```ignore
/// assert!(looks_like_question("Which customers asked about discounts?"));
/// assert!(!looks_like_question("Ada Lovelace, ada@example.com, UK"));
/// ```
pub(super) fn looks_like_question(text: &str) -> bool {
    let text = text.trim();
    if text.is_empty() || text.contains('\n') {
        return false;
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() > MAX_WORDS {
        return false;
    }
    let data = |c: char| c.is_ascii_digit() || matches!(c, '@' | '\t' | '|' | ';');
    if text.chars().any(data) || text.matches(',').count() >= 2 {
        return false;
    }
    let asks = text.ends_with(['?', '？', '؟']) || text.starts_with('¿');
    let first = words[0]
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    asks || OPENERS.contains(&first.as_str())
}

#[cfg(test)]
mod tests {
    use super::looks_like_question;

    #[test]
    fn questions_and_requests_without_data() {
        for text in [
            "Which customers asked about discounts?",
            "  what stands out?  ",
            "List the customers who churned",
            "Summarise my customers for the board.",
            "¿Qué clientes pidieron descuentos?",
            "顧客の傾向は？",
        ] {
            assert!(looks_like_question(text), "{text}");
        }
    }

    #[test]
    fn data_and_notes_are_not_questions() {
        for text in [
            "Ada Lovelace, ada@example.com, United Kingdom",
            "name,email,country\nAda,ada@example.com,UK",
            "Which customers asked about discounts?\nAda Lovelace asked twice.",
            "Ada renewed early and asked about the pro plan.",
            "How many of the 40 customers renewed?",
            "",
        ] {
            assert!(!looks_like_question(text), "{text}");
        }
    }
}
