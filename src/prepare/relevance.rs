//! Ranking sections by how well they match a question (Okapi BM25), and
//! keeping the best that fit a budget, in their original order.
//!
//! Scores are computed with additions, multiplications and divisions only
//! (the logarithm included), which IEEE 754 rounds the same way on every
//! platform, so the browser and the server keep the same sections.

use std::collections::HashMap;

const K1: f64 = 1.2;
const B: f64 = 0.75;

/// Words that carry no topic in a question.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "how",
    "i", "in", "is", "it", "me", "my", "of", "on", "or", "our", "that", "the", "their", "this",
    "to", "was", "we", "what", "when", "where", "which", "who", "why", "will", "with", "you",
    "your",
];

/// The terms of `text`: lower-cased runs of letters and digits, and each
/// ideographic or kana character on its own (those scripts do not put
/// spaces between words).
pub(crate) fn terms(text: &str, mut each: impl FnMut(&str)) {
    let mut word = String::new();
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if is_ideographic(c) {
            if !word.is_empty() {
                each(&word);
                word.clear();
            }
            each(c.encode_utf8(&mut buf));
        } else if c.is_alphanumeric() {
            word.extend(c.to_lowercase());
        } else if !word.is_empty() {
            each(&word);
            word.clear();
        }
    }
    if !word.is_empty() {
        each(&word);
    }
}

fn is_ideographic(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// The question's distinct terms, stop words left out (unless nothing
/// else is left).
pub(crate) fn question_terms(question: &str) -> Vec<String> {
    let mut all = Vec::new();
    terms(question, |t| {
        if !all.iter().any(|a: &String| a == t) {
            all.push(t.to_owned());
        }
    });
    let topical: Vec<String> = all
        .iter()
        .filter(|t| !STOP_WORDS.contains(&t.as_str()))
        .cloned()
        .collect();
    if topical.is_empty() {
        all
    } else {
        topical
    }
}

/// The BM25 score of each section for the question's terms.
pub(crate) fn scores<'a>(sections: impl Iterator<Item = &'a str>, query: &[String]) -> Vec<f64> {
    let index: HashMap<&str, usize> = query
        .iter()
        .enumerate()
        .map(|(i, t)| (t.as_str(), i))
        .collect();
    let mut freqs: Vec<Vec<u32>> = Vec::new();
    let mut lengths: Vec<f64> = Vec::new();
    for section in sections {
        let mut tf = vec![0u32; query.len()];
        let mut len = 0u64;
        terms(section, |t| {
            len += 1;
            if let Some(&i) = index.get(t) {
                tf[i] += 1;
            }
        });
        freqs.push(tf);
        lengths.push(len as f64);
    }
    let n = freqs.len() as f64;
    if freqs.is_empty() {
        return Vec::new();
    }
    let avg = (lengths.iter().sum::<f64>() / n).max(1.0);
    let idf: Vec<f64> = (0..query.len())
        .map(|q| {
            let df = freqs.iter().filter(|tf| tf[q] > 0).count() as f64;
            ln((n - df + 0.5) / (df + 0.5) + 1.0)
        })
        .collect();
    freqs
        .iter()
        .zip(&lengths)
        .map(|(tf, &len)| {
            tf.iter()
                .zip(&idf)
                .filter(|(f, _)| **f > 0)
                .map(|(&f, &w)| {
                    let f = f64::from(f);
                    w * f * (K1 + 1.0) / (f + K1 * (1.0 - B + B * len / avg))
                })
                .sum()
        })
        .collect()
}

/// Which sections to keep: the highest scores first (earlier first on a
/// tie) while their tokens fit `budget`; the result is in section order.
pub(crate) fn select(tokens: &[u64], scores: &[f64], budget: u64) -> Vec<bool> {
    let mut order: Vec<usize> = (0..tokens.len()).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    let mut keep = vec![false; tokens.len()];
    let mut used = 0u64;
    for i in order {
        if used + tokens[i] <= budget {
            used += tokens[i];
            keep[i] = true;
        }
    }
    keep
}

/// The natural logarithm from basic arithmetic only, so that it rounds
/// the same everywhere (`f64::ln` calls the platform's libm). `x > 0`.
pub(crate) fn ln(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return if x == 0.0 {
            f64::NEG_INFINITY
        } else {
            f64::NAN
        };
    }
    let bits = x.to_bits();
    let mut exponent = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & ((1u64 << 52) - 1)) | (1023u64 << 52));
    if exponent == -1023 {
        // Subnormal: normalise first.
        let y = x * (1u64 << 54) as f64;
        return ln(y) - 54.0 * std::f64::consts::LN_2;
    }
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        exponent += 1;
    }
    // ln(m) = 2 atanh(z), z = (m - 1) / (m + 1), |z| < 0.172.
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let mut term = z;
    let mut sum = 0.0;
    let mut k = 1.0;
    while k < 60.0 {
        sum += term / k;
        term *= z2;
        k += 2.0;
    }
    2.0 * sum + exponent as f64 * std::f64::consts::LN_2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_matches_the_library() {
        for x in [
            1e-300,
            1e-5,
            0.3,
            0.5,
            1.0,
            1.5,
            2.0,
            std::f64::consts::E,
            10.0,
            12345.678,
            1e300,
        ] {
            assert!(
                (ln(x) - x.ln()).abs() <= 1e-14 * x.ln().abs().max(1.0),
                "{x}"
            );
        }
    }

    #[test]
    fn the_matching_section_scores_highest() {
        let sections = [
            "Our office is open Monday to Friday.",
            "Refunds are paid within 14 days of a return. A refund needs the receipt.",
            "Shipping is free above 50 euros.",
        ];
        let q = question_terms("How long does a refund take?");
        assert_eq!(q, ["long", "refund", "take"]);
        let s = scores(sections.iter().copied(), &q);
        assert!(s[1] > s[0] && s[1] > s[2], "{s:?}");
        assert_eq!(select(&[10, 10, 10], &s, 15), [false, true, false]);
        assert_eq!(select(&[10, 10, 10], &s, 30), [true, true, true]);
    }

    #[test]
    fn cjk_characters_are_terms() {
        let mut out = Vec::new();
        terms("退款政策 refund", |t| out.push(t.to_owned()));
        assert_eq!(out, ["退", "款", "政", "策", "refund"]);
    }
}
