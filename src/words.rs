//! Small text helpers every layer shares: numbers and sizes as people read
//! them, plurals, lists joined with "and", and the forms of names used to
//! match headers. A leaf: it depends on no other module of the crate.

/// Formats a count the way people read it: `11240` as `11,240`.
///
/// ```
/// assert_eq!(prompt_preflight::messages::group_digits(11240), "11,240");
/// assert_eq!(prompt_preflight::messages::group_digits(999), "999");
/// ```
pub fn group_digits(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size the way people read it: `20 MB`, `1.5 KB`, `512 bytes`
/// (1,024-based, as file managers show sizes).
///
/// ```
/// use prompt_preflight::messages::human_size;
/// assert_eq!(human_size(20 * 1024 * 1024), "20 MB");
/// assert_eq!(human_size(1536), "1.5 KB");
/// assert_eq!(human_size(3_000_016_169), "2.8 GB");
/// assert_eq!(human_size(512), "512 bytes");
/// ```
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KB", "MB", "GB"];
    if bytes < 1024 {
        return plural(bytes, "byte", "bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let shown = if value < 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    };
    format!("{} {}", shown.trim_end_matches(".0"), UNITS[unit])
}

/// Two sizes for a comparison ("30 MB; the most is 25 MB"): rounded as
/// people read them, with the exact bytes where rounding would make them
/// look equal.
pub(crate) fn compared_sizes(size: u64, limit: u64) -> (String, String) {
    let (a, b) = (human_size(size), human_size(limit));
    if a == b && size != limit {
        (
            format!("{a} ({} bytes)", group_digits(size)),
            format!("{b} ({} bytes)", group_digits(limit)),
        )
    } else {
        (a, b)
    }
}

/// `n` with the noun that fits it: "1 row", "1,250 rows".
pub(crate) fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", group_digits(n))
    }
}

/// "a", "a and b", "a, b and c".
pub(crate) fn and_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// "a", "a or b", "a, b, or c": a choice between ways.
pub(crate) fn or_list(items: &[&str]) -> String {
    match items.split_last() {
        Some((last, [])) => (*last).to_owned(),
        Some((last, rest)) => format!("{}, or {last}", rest.join(", ")),
        None => String::new(),
    }
}

/// The text with its first letter in upper case.
pub(crate) fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// "$0.42", or two significant digits below a cent ("$0.00082").
pub(crate) fn usd(x: f64) -> String {
    if x >= 0.01 || x <= 0.0 {
        return format!("${x:.2}");
    }
    let mut decimals = 2;
    let mut scaled = x * 100.0;
    while scaled < 1.0 && decimals < 12 {
        scaled *= 10.0;
        decimals += 1;
    }
    format!("${:.*}", decimals + 1, x)
}

/// The form of a header used for matching: lower case, without whitespace.
///
/// ```
/// use prompt_preflight::schema::normalize_header;
/// assert_eq!(normalize_header("  E Mail "), "email");
/// ```
pub fn normalize_header(name: &str) -> String {
    name.chars()
        .filter(|c| !c.is_whitespace())
        .flat_map(char::to_lowercase)
        .collect()
}

/// A looser form of a name for suggestions: letters and digits only.
pub(crate) fn skeleton(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// Edit distance between two short strings (headers, model names), by
/// characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compared_sizes_never_look_equal_when_they_differ() {
        let limit = 25 * 1024 * 1024;
        assert_eq!(
            compared_sizes(30 * 1024 * 1024, limit),
            ("30 MB".to_owned(), "25 MB".to_owned())
        );
        let (a, b) = compared_sizes(limit + 1, limit);
        assert_eq!(a, "25 MB (26,214,401 bytes)");
        assert_eq!(b, "25 MB (26,214,400 bytes)");
    }

    #[test]
    fn lists_read_as_sentences() {
        let items = ["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(and_list(&items[..1]), "a");
        assert_eq!(and_list(&items[..2]), "a and b");
        assert_eq!(and_list(&items), "a, b and c");
        assert_eq!(or_list(&["a", "b", "c"]), "a, b, or c");
        assert_eq!(or_list(&["a"]), "a");
        assert_eq!(capitalised("über"), "Über");
    }

    #[test]
    fn counts_read_right() {
        assert_eq!(plural(1, "token", "tokens"), "1 token");
        assert_eq!(plural(1942, "token", "tokens"), "1,942 tokens");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(skeleton("E-Mail "), "email");
    }
}
