//! Parts that cannot be made small enough.

use super::*;

/// `count` table rows that alone are over the chunk size, the first at
/// `at` with `tokens` tokens (header included).
pub fn row_too_large(at: Location, count: u64, tokens: u64, max: u64) -> Issue {
    let issue = catalogued(
        Code::RowTooLarge,
        if count == 1 {
            format!(
                "One row is {} tokens with the header, more than the {} a part may have, so it is sent as a part of its own.",
                group_digits(tokens),
                group_digits(max)
            )
        } else {
            format!(
                "{} rows are each more than the {} tokens a part may have (the first is {} with the header), so each is sent as a part of its own.",
                group_digits(count),
                group_digits(max),
                group_digits(tokens)
            )
        },
        Some(at),
    );
    if count == 1 {
        issue
    } else {
        grouped_count(issue, count)
    }
}

/// `count` elements of a JSON list that alone are over the chunk size, the
/// first being element `item` (1-based) with `tokens` tokens.
pub fn item_too_large(item: u64, count: u64, tokens: u64, max: u64) -> Issue {
    let message = if count == 1 {
        format!(
            "Item {} of the list is {} tokens, more than the {} a part may have, so it is sent as a part of its own.",
            group_digits(item),
            group_digits(tokens),
            group_digits(max)
        )
    } else {
        format!(
            "{} items of the list are each more than the {} tokens a part may have (the first is item {}, {} tokens), so each is sent as a part of its own.",
            group_digits(count),
            group_digits(max),
            group_digits(item),
            group_digits(tokens)
        )
    };
    let issue = catalogued(Code::ItemTooLarge, message, None);
    if count == 1 {
        issue
    } else {
        grouped_count(issue, count)
    }
}
