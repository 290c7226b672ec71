//! Languages: detecting the language of a text, and the ISO 639-3 codes and
//! English names that contracts and messages use.
//!
//! The names are a table of the languages `whatlang` detects, so builds
//! without detection (the browser's meter module, which leaves out the
//! `language` feature and its 190 KB of trigram data) still read and word
//! them the same way.

/// Characters looked at to detect the language.
#[cfg(feature = "language")]
const LANGUAGE_SAMPLE: usize = 4096;

/// Whether this build detects languages (the `language` feature).
pub(crate) const DETECTS: bool = cfg!(feature = "language");

/// The languages `whatlang` 0.18 detects: ISO 639-3 code and English name.
const LANGUAGES: &[(&str, &str)] = &[
    ("epo", "Esperanto"),
    ("eng", "English"),
    ("rus", "Russian"),
    ("cmn", "Mandarin"),
    ("spa", "Spanish"),
    ("por", "Portuguese"),
    ("ita", "Italian"),
    ("ben", "Bengali"),
    ("fra", "French"),
    ("deu", "German"),
    ("ukr", "Ukrainian"),
    ("kat", "Georgian"),
    ("ara", "Arabic"),
    ("hin", "Hindi"),
    ("jpn", "Japanese"),
    ("heb", "Hebrew"),
    ("yid", "Yiddish"),
    ("pol", "Polish"),
    ("amh", "Amharic"),
    ("jav", "Javanese"),
    ("kor", "Korean"),
    ("nob", "Bokmal"),
    ("dan", "Danish"),
    ("swe", "Swedish"),
    ("fin", "Finnish"),
    ("tur", "Turkish"),
    ("nld", "Dutch"),
    ("hun", "Hungarian"),
    ("ces", "Czech"),
    ("ell", "Greek"),
    ("bul", "Bulgarian"),
    ("bel", "Belarusian"),
    ("mar", "Marathi"),
    ("kan", "Kannada"),
    ("ron", "Romanian"),
    ("slv", "Slovene"),
    ("hrv", "Croatian"),
    ("srp", "Serbian"),
    ("mkd", "Macedonian"),
    ("lit", "Lithuanian"),
    ("lav", "Latvian"),
    ("est", "Estonian"),
    ("tam", "Tamil"),
    ("vie", "Vietnamese"),
    ("urd", "Urdu"),
    ("tha", "Thai"),
    ("guj", "Gujarati"),
    ("uzb", "Uzbek"),
    ("pan", "Punjabi"),
    ("aze", "Azerbaijani"),
    ("ind", "Indonesian"),
    ("tel", "Telugu"),
    ("pes", "Persian"),
    ("mal", "Malayalam"),
    ("ori", "Oriya"),
    ("mya", "Burmese"),
    ("nep", "Nepali"),
    ("sin", "Sinhalese"),
    ("khm", "Khmer"),
    ("tuk", "Turkmen"),
    ("aka", "Akan"),
    ("zul", "Zulu"),
    ("sna", "Shona"),
    ("afr", "Afrikaans"),
    ("lat", "Latin"),
    ("slk", "Slovak"),
    ("cat", "Catalan"),
    ("tgl", "Tagalog"),
    ("hye", "Armenian"),
    ("cym", "Welsh"),
];

/// The language of `text` as an ISO 639-3 code, when it is clear. `None`
/// in builds without detection.
#[cfg(feature = "language")]
pub(crate) fn detect(text: &str) -> Option<&'static str> {
    let end = text
        .char_indices()
        .nth(LANGUAGE_SAMPLE)
        .map_or(text.len(), |(i, _)| i);
    let info = whatlang::detect(&text[..end])?;
    info.is_reliable().then(|| info.lang().code())
}

/// The language of `text`: builds without detection never know it.
#[cfg(not(feature = "language"))]
pub(crate) fn detect(_: &str) -> Option<&'static str> {
    None
}

/// The ISO 639-3 code of a language given by code or English name.
pub(crate) fn code(language: &str) -> Option<&'static str> {
    LANGUAGES
        .iter()
        .find(|(code, name)| {
            code.eq_ignore_ascii_case(language) || name.eq_ignore_ascii_case(language)
        })
        .map(|(code, _)| *code)
}

/// The English name of an ISO 639-3 code, for messages.
pub(crate) fn name(code: &str) -> String {
    LANGUAGES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| code.to_owned(), |(_, name)| (*name).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn languages() {
        assert_eq!(detect("Ceci est un texte écrit en français, avec plusieurs phrases pour que la détection soit fiable."), Some("fra"));
        assert_eq!(name("deu"), "German");
        assert_eq!(code("french"), Some("fra"));
        assert_eq!(code("FRA"), Some("fra"));
    }

    #[test]
    fn the_table_is_whatlangs() {
        for lang in whatlang::Lang::all() {
            assert_eq!(name(lang.code()), lang.eng_name());
            assert_eq!(code(lang.eng_name()), Some(lang.code()));
        }
        assert_eq!(LANGUAGES.len(), whatlang::Lang::all().len());
    }
}
