//! `lang_primary`: the language of a user's bio (else name and bio together), identified by
//! lingua among the languages measured in benches/lang.rs, and how it was found
//! (`meta.lang_source`). What cannot be told honestly is `und`: too little text once handles,
//! links, hashtags, emoji and digits are gone, or an answer the identifier is unsure of.

use std::sync::LazyLock;

use lingua::{Language, LanguageDetector, LanguageDetectorBuilder};
use serde::Serialize;

/// Letters (in Latin-letter equivalents, see [`evidence`]) below which nobody can tell a
/// language: benches/lang.rs finds every "cannot tell" bio below 20 and no labelled bio
/// that needs less.
pub const MIN_EVIDENCE: usize = 20;

/// lingua's confidence (its values over the candidate languages sum to 1) below which its
/// answer is not taken: 0.3 kept every labelled bio in benches/lang.rs, 0.5 lost one.
pub(crate) const MIN_CONFIDENCE: f64 = 0.3;

/// The languages identified, with their ISO 639-1 tags.
const LANGUAGES: [(Language, &str); 13] = [
    (Language::English, "en"),
    (Language::Spanish, "es"),
    (Language::French, "fr"),
    (Language::German, "de"),
    (Language::Portuguese, "pt"),
    (Language::Italian, "it"),
    (Language::Japanese, "ja"),
    (Language::Russian, "ru"),
    (Language::Dutch, "nl"),
    (Language::Korean, "ko"),
    (Language::Chinese, "zh"),
    (Language::Arabic, "ar"),
    (Language::Turkish, "tr"),
];

/// The tag of a language that could not be told.
pub const UNDETERMINED: &str = "und";

/// A language and where it was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LanguageGuess {
    /// An ISO 639-1 tag (`en`, `ja`, ...) or `und`.
    pub tag: &'static str,
    pub source: LangSource,
}

/// How `lang_primary` was found, as `meta.lang_source` says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LangSource {
    /// The bio held enough text by itself.
    Description,
    /// No bio: the name did.
    Name,
    /// The bio was too short alone; name and bio together were enough.
    NameAndDescription,
    /// `und`: too little letter text in name and bio.
    TooLittleText,
    /// `und`: enough text, but the identifier was unsure.
    Unreliable,
}

/// The language of a user from their name and bio.
pub fn identify(name: Option<&str>, description: Option<&str>) -> LanguageGuess {
    let bio = letters_of(description.unwrap_or(""));
    let (text, source) = if evidence(&bio) >= MIN_EVIDENCE {
        (bio, LangSource::Description)
    } else {
        let both = letters_of(&format!(
            "{} {}",
            name.unwrap_or(""),
            description.unwrap_or("")
        ));
        let source = if bio.is_empty() {
            LangSource::Name
        } else {
            LangSource::NameAndDescription
        };
        (both, source)
    };
    if evidence(&text) < MIN_EVIDENCE {
        return LanguageGuess {
            tag: UNDETERMINED,
            source: LangSource::TooLittleText,
        };
    }
    match most_likely(&text) {
        Some((tag, confidence)) if confidence >= MIN_CONFIDENCE => LanguageGuess { tag, source },
        _ => LanguageGuess {
            tag: UNDETERMINED,
            source: LangSource::Unreliable,
        },
    }
}

/// lingua's most likely language for `text` and its confidence.
fn most_likely(text: &str) -> Option<(&'static str, f64)> {
    // Models load lazily per language on first use (tens of ms each), then stay.
    static DETECTOR: LazyLock<LanguageDetector> = LazyLock::new(|| {
        let languages: Vec<Language> = LANGUAGES.iter().map(|(l, _)| *l).collect();
        LanguageDetectorBuilder::from_languages(&languages).build()
    });
    let (language, confidence) = DETECTOR
        .compute_language_confidence_values(text)
        .into_iter()
        .next()?;
    let tag = LANGUAGES.iter().find(|(l, _)| *l == language)?.1;
    Some((tag, confidence))
}

/// The letters of a bio that say something about its language, words separated by one space:
/// @mentions, URLs, e-mail addresses and bare domains are dropped whole (they are names, not
/// words), hashtags are dropped too (benches/lang.rs: they are mostly English jargon, #AI,
/// #infosec, whatever the bio's language), and emoji, digits and punctuation become spaces.
pub fn letters_of(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for token in text.split_whitespace() {
        if is_address(token) || token.starts_with('#') {
            continue;
        }
        for c in token.chars() {
            if c.is_alphabetic() {
                out.push(c);
            } else if !out.ends_with(' ') && !out.is_empty() {
                out.push(' ');
            }
        }
        if !out.ends_with(' ') && !out.is_empty() {
            out.push(' ');
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// A token that names a place rather than saying something: `@handle`, `https://...`,
/// `www....`, `name@host`, or a bare domain such as `sarah.dev` or `linktr.ee/mo`.
fn is_address(token: &str) -> bool {
    if token.starts_with('@') || token.contains("://") || token.starts_with("www.") {
        return true;
    }
    let token = token.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '/');
    if token.contains('@') {
        return true;
    }
    // A dot between two ASCII letters, the part after it 2-6 letters up to a `/` or the end:
    // `fast.ai`, `booking.com`. A sentence's full stop has a space after it, so never matches.
    let host = token.split('/').next().unwrap_or(token);
    match host.rsplit_once('.') {
        Some((name, tld)) => {
            !name.is_empty()
                && name
                    .chars()
                    .last()
                    .is_some_and(|c| c.is_ascii_alphanumeric())
                && (2..=6).contains(&tld.len())
                && tld.chars().all(|c| c.is_ascii_alphabetic())
        }
        None => false,
    }
}

/// How much language evidence `letters` hold, in Latin-letter equivalents: a Han, kana or
/// Hangul character is about a word by itself, so it counts as three letters.
pub fn evidence(letters: &str) -> usize {
    letters
        .chars()
        .filter(|c| c.is_alphabetic())
        .map(|c| if is_ideographic(c) { 3 } else { 1 })
        .sum()
}

fn is_ideographic(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF      // hiragana, katakana
        | 0x3400..=0x4DBF    // CJK extension A
        | 0x4E00..=0x9FFF    // CJK unified ideographs
        | 0xAC00..=0xD7AF    // Hangul syllables
        | 0x1100..=0x11FF    // Hangul jamo
        | 0xF900..=0xFAFF) // CJK compatibility ideographs
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORPUS: &str = include_str!("../../../tests/fixtures/lang-bios.tsv");

    /// (expected tag, name, bio) of every labelled bio.
    fn corpus() -> Vec<(&'static str, &'static str, &'static str)> {
        CORPUS
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let mut f = l.split('\t');
                let mut next = || f.next().unwrap_or("");
                (next(), next(), next())
            })
            .collect()
    }

    fn some(s: &str) -> Option<&str> {
        (!s.is_empty()).then_some(s)
    }

    #[test]
    fn every_language_of_the_labelled_bios_is_identified_at_least_14_times_in_15() {
        let mut per: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
        let mut wrong = Vec::new();
        for (tag, name, bio) in corpus().into_iter().filter(|r| r.0 != UNDETERMINED) {
            let guess = identify(some(name), some(bio));
            let e = per.entry(tag).or_default();
            e.1 += 1;
            if guess.tag == tag {
                e.0 += 1;
            } else {
                wrong.push(format!("{tag} taken for {}: {bio}", guess.tag));
            }
        }
        assert!(per.len() >= 13, "{per:?}");
        for (tag, (right, all)) in &per {
            assert!(*all >= 15, "{tag}: only {all} bios");
            assert!(
                *right as f64 / *all as f64 >= 14.0 / 15.0,
                "{tag}: {right}/{all}; {wrong:#?}"
            );
        }
    }

    #[test]
    fn every_cannot_tell_case_is_undetermined() {
        let cases: Vec<_> = corpus()
            .into_iter()
            .filter(|r| r.0 == UNDETERMINED)
            .collect();
        assert!(cases.len() >= 20);
        for (_, name, bio) in cases {
            let guess = identify(some(name), some(bio));
            assert_eq!(guess.tag, UNDETERMINED, "{name:?} / {bio:?}: {guess:?}");
            assert_eq!(
                guess.source,
                LangSource::TooLittleText,
                "{name:?} / {bio:?}"
            );
        }
    }

    #[test]
    fn the_source_says_which_fields_were_read() {
        let bio = "Journaliste politique. Ce que je tweete n'engage que moi.";
        assert_eq!(
            identify(Some("Claire"), Some(bio)).source,
            LangSource::Description
        );
        assert_eq!(
            identify(Some("Александра Константиновна"), None),
            LanguageGuess {
                tag: "ru",
                source: LangSource::Name
            }
        );
        let short = identify(Some("Разработчик Иван Петров"), Some("Москва 🇷🇺"));
        assert_eq!(
            short,
            LanguageGuess {
                tag: "ru",
                source: LangSource::NameAndDescription
            }
        );
        assert_eq!(identify(None, None).source, LangSource::TooLittleText);
    }

    #[test]
    fn handles_links_hashtags_emoji_and_digits_are_not_language() {
        assert_eq!(
            letters_of("Dev @vercel 🚀 #rust https://x.dev sarah.dev mia@proton.me 2024 l'Inserm."),
            "Dev l Inserm"
        );
        assert_eq!(letters_of("linktr.ee/mo booking.com."), "");
        assert_eq!(evidence("科技记者"), 12);
        assert_eq!(evidence("news"), 4);
    }

    #[test]
    fn the_source_is_written_in_snake_case() {
        let json = serde_json::to_string(&LangSource::NameAndDescription).unwrap();
        assert_eq!(json, "\"name_and_description\"");
    }
}
