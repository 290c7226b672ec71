//! A quick estimate of a text's tokens before its tokenizer's vocabulary
//! has arrived: additive over characters, so an edit updates it at the
//! cost of the edit. It is labelled an estimate everywhere it is shown;
//! the exact count replaces it as soon as the vocabulary is in.

/// Quarter-tokens per character, by script: about 4 characters of ASCII a
/// token, 2 of other alphabets (accented Latin, Cyrillic, Greek, Arabic,
/// Hebrew, …), 1 of Chinese, Japanese and Korean.
fn quarters(c: char) -> u64 {
    match c as u32 {
        0..=0x7f => 1,
        0x2e80..=0x9fff | 0xac00..=0xd7af | 0xf900..=0xfaff | 0x20000.. => 4,
        _ => 2,
    }
}

/// The running estimate of a text.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Estimate {
    quarters: u64,
}

impl Estimate {
    /// The estimate of `text`.
    ///
    /// ```
    /// use prompt_preflight::Estimate;
    /// assert_eq!(Estimate::of("Hello, world!").tokens(), 4);
    /// assert_eq!(Estimate::of("你好世界").tokens(), 4);
    /// ```
    pub fn of(text: &str) -> Estimate {
        Estimate {
            quarters: text.chars().map(quarters).sum(),
        }
    }

    /// The estimate after replacing `removed` with `inserted`.
    pub fn replaced(self, removed: &str, inserted: &str) -> Estimate {
        Estimate {
            quarters: self.quarters - Estimate::of(removed).quarters
                + Estimate::of(inserted).quarters,
        }
    }

    /// About how many tokens.
    pub fn tokens(self) -> u64 {
        self.quarters.div_ceil(4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn it_is_within_a_factor_of_the_count_on_ordinary_text() {
        for text in [
            "Our customers in Lisbon renewed early this spring, and most sign-ups came from the newsletter.",
            "Les clients de Lisbonne ont renouvelé tôt ce printemps, et la plupart des inscriptions venaient de la lettre.",
            "Наши клиенты в Лиссабоне продлили подписку рано этой весной.",
            "今年の春、リスボンの顧客は早めに更新しました。",
        ] {
            let exact = crate::Encoding::O200kBase.count(text).count as f64;
            let about = Estimate::of(text).tokens() as f64;
            assert!(about / exact > 0.5 && about / exact < 2.0, "{text}: {about} for {exact}");
        }
    }

    #[test]
    fn edits_update_it_exactly() {
        let e = Estimate::of("Hello, world!").replaced("world", "Lisbon");
        assert_eq!(e, Estimate::of("Hello, Lisbon!"));
    }
}
