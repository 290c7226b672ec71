//! Languages: detecting the language of a text, and the ISO 639-3 codes and
//! English names that contracts and messages use. A leaf over `whatlang`.

/// Characters looked at to detect the language.
const LANGUAGE_SAMPLE: usize = 4096;

/// The language of `text` as an ISO 639-3 code, when it is clear.
pub(crate) fn detect(text: &str) -> Option<&'static str> {
    let end = text
        .char_indices()
        .nth(LANGUAGE_SAMPLE)
        .map_or(text.len(), |(i, _)| i);
    let info = whatlang::detect(&text[..end])?;
    info.is_reliable().then(|| info.lang().code())
}

/// The ISO 639-3 code of a language given by code or English name.
pub(crate) fn code(language: &str) -> Option<&'static str> {
    let code = whatlang::Lang::from_code(language.to_ascii_lowercase()).map(|l| l.code());
    code.or_else(|| {
        whatlang::Lang::all()
            .iter()
            .find(|l| l.eng_name().eq_ignore_ascii_case(language))
            .map(|l| l.code())
    })
}

/// The English name of an ISO 639-3 code, for messages.
pub(crate) fn name(code: &str) -> String {
    whatlang::Lang::from_code(code).map_or_else(|| code.to_owned(), |l| l.eng_name().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        assert_eq!(detect("Ceci est un texte écrit en français, avec plusieurs phrases pour que la détection soit fiable."), Some("fra"));
        assert_eq!(name("deu"), "German");
    }
}
